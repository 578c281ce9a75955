/**
 * The pods bound to this node, as the kubelet's API source sees them: a list
 * with fieldSelector spec.nodeName=<node> (the one selector the Node authorizer
 * lets a node list pods with), then a watch from its resourceVersion, resumed
 * when the server ends it, and a fresh list when the version is too old (410).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type ApiClient } from './api-client';

export interface PodHandler {
  /** Every pod bound to the node now; a pod not in the list is gone. */
  sync(pods: any[]): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: any): void;
}

const WATCH_TIMEOUT_SECONDS = 300;
const RETRY_MS = 1000;

class Expired extends Error {}

/** Runs until signal aborts. */
export async function watchPods(api: ApiClient, node: string, signal: AbortSignal, handler: PodHandler, log: (line: string) => void): Promise<void> {
  const selector = `fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`;
  while (!signal.aborted) {
    try {
      const list = await api.request('GET', `/api/v1/pods?${selector}`);
      handler.sync(list.items);
      let version: string = list.metadata.resourceVersion;
      for (;;) {
        const query = `${selector}&watch=true&allowWatchBookmarks=true&timeoutSeconds=${WATCH_TIMEOUT_SECONDS}&resourceVersion=${version}`;
        await api.watch(`/api/v1/pods?${query}`, signal, (event) => {
          if (event.type === 'ERROR') {
            if (event.object?.code === 410) throw new Expired(event.object.message);
            throw new Error(`watching pods: ${event.object?.message ?? JSON.stringify(event.object)}`);
          }
          version = event.object.metadata.resourceVersion;
          if (event.type !== 'BOOKMARK') handler.event(event.type, event.object);
        });
      }
    } catch (error) {
      if (signal.aborted) return;
      // Too old a version: list again. Anything else (the API server restarting, a broken stream): list again after a pause.
      if (!(error instanceof Expired) && !(error instanceof ApiError && error.status === 410)) {
        log(`watching pods: ${(error as Error).message}; listing again`);
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
