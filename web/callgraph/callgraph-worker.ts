// Graphviz (WebAssembly) off the main thread: layout of a large graph must not freeze the page.
import { instance } from '@viz-js/viz';

export interface RenderRequest {
  id: number;
  dot: string;
}

export type RenderReply = { id: number; svg: string } | { id: number; error: string };

// With the DOM lib in scope, `self` is typed as a Window; in a worker it is the worker's own scope.
const scope = self as unknown as Worker;
const viz = instance();

scope.addEventListener('message', async (event: MessageEvent<RenderRequest>) => {
  const { id, dot } = event.data;
  let reply: RenderReply;
  try {
    reply = { id, svg: (await viz).renderString(dot, { format: 'svg', engine: 'dot' }) };
  } catch (error) {
    reply = { id, error: `rendering the call graph: ${error instanceof Error ? error.message : String(error)}` };
  }
  scope.postMessage(reply);
});
