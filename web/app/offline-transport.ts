// The offline file's stand-ins for the viewer's server: the page's requests (api-client.ts fetches relative paths)
// are answered in the page, and the call graph worker starts from the source inlined in the file.
import { NOT_IN_FILE } from '../../src/viewer/offline/offline-data';
import { OfflineApi } from './offline-api';

/** Every fetch the page makes is answered from the file; nothing reaches the network (its CSP forbids it anyway). */
export function answerFetchFromFile(api: OfflineApi): void {
  window.fetch = async (input: RequestInfo | URL) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const target = new URL(url, location.href);
    const base = new URL('.', location.href);
    const headers = { 'content-type': 'application/json; charset=utf-8' };
    if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) {
      return new Response(JSON.stringify({ error: NOT_IN_FILE, details: [{ message: `the file fetches nothing, not ${url}` }] }), { status: 404, headers });
    }
    const route = decodeURIComponent(target.pathname.slice(base.pathname.length));
    const answer = api.answer(route, target.searchParams);
    return new Response(answer.body, { status: answer.status, headers });
  };
}

/**
 * GraphvizClient starts the module worker `callgraph-worker.js`: here, a blob: URL of the file's classic build of
 * it (a page from file:// cannot start a module worker).
 */
export function startWorkersFromFile(sourceBase64: () => string): void {
  const NativeWorker = window.Worker;
  let workerUrl: string | undefined;
  const inlined = () => {
    if (!workerUrl) {
      const text = atob(sourceBase64());
      const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
      workerUrl = URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
    }
    return workerUrl;
  };
  window.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const ours = String(url) === 'callgraph-worker.js';
      super(ours ? inlined() : url, ours ? { ...options, type: 'classic' } : options);
    }
  };
}
