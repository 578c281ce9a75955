import { KEYS } from '../parameters/schema';
import { PluginOptions } from './flags';

/**
 * The flags as the processor's request body, the very object KubeDiag's executor would POST: the command line and
 * the service share one parser (parameters/), one acquisition and one report layer. A pod with collector direct is
 * fetched over http from its IP (pod.ts resolves it first: `source`).
 */
export function pluginRequestBody(options: PluginOptions, namespace: string, source?: string): Record<string, string> {
  const body: Record<string, string> = {
    [KEYS.type]: options.type,
    [KEYS.durationSeconds]: String(options.durationSeconds),
    [KEYS.expirationSeconds]: String(24 * 3600),
  };
  const collector = options.collector === 'direct' ? 'http' : options.collector;
  if (options.pod && source) {
    body[KEYS.source] = source;
  } else if (options.pod) {
    // The pod as the executor names it (pod.name, container below): its container must then exist and run.
    body[KEYS.collector] = collector;
    body[KEYS.jobPort] = String(options.port);
  } else {
    body[KEYS.collector] = collector;
    body[KEYS.jobPort] = String(options.port);
    body[KEYS.targetNamespace] = namespace;
    if (options.workload) body[KEYS.targetWorkload] = options.workload;
    if (options.selector) body[KEYS.targetSelector] = options.selector;
  }
  // The executor's own keys: they name the stored file and the viewer's header.
  body['pod.namespace'] = namespace;
  if (options.pod) body['pod.name'] = options.pod;
  if (options.container) body.container = options.container;
  body['diagnosis.name'] = 'kubectl-go-profiler';
  return body;
}
