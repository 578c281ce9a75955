import type { RenderReply, RenderRequest } from './callgraph-worker';

/** Talks to callgraph-worker.js; one worker for the page, started on first use (it carries 1 MB of WebAssembly). */
export class GraphvizClient {
  private worker?: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (svg: string) => void; reject: (error: Error) => void }>();

  render(dot: string): Promise<string> {
    const worker = this.start();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, dot } satisfies RenderRequest);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker('callgraph-worker.js', { type: 'module', name: 'graphviz' });
    worker.addEventListener('message', (event: MessageEvent<RenderReply>) => {
      const reply = event.data;
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (!waiter) return;
      if ('svg' in reply) waiter.resolve(reply.svg);
      else waiter.reject(new Error(reply.error));
    });
    worker.addEventListener('error', (event) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`the Graphviz worker failed: ${event.message}`));
      this.waiting.clear();
    });
    this.worker = worker;
    return worker;
  }
}
