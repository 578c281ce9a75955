import { api } from '../app/api-client';
import type { CallGraph } from '../app/api-types';
import { byId, el } from '../app/dom';
import { refineQuery, UrlState, ViewState } from '../app/url-state';
import { GraphvizClient } from './graphviz-client';
import { PanZoom } from './pan-zoom';
import { sanitizeSvg } from './svg-sanitize';

/** pprof's call graph: the API's DOT laid out by Graphviz in a worker, inserted as sanitised SVG. */
export class CallGraphView {
  private readonly host = byId('graph-canvas');
  private readonly status = byId('graph-status');
  private readonly graphviz = new GraphvizClient();
  private panZoom?: PanZoom;
  private loadedFor?: string;
  private loadToken = 0;

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    byId('graph-zoom-in').addEventListener('click', () => this.panZoom?.zoom(1.5));
    byId('graph-zoom-out').addEventListener('click', () => this.panZoom?.zoom(1 / 1.5));
    byId('graph-fit').addEventListener('click', () => this.panZoom?.fit());
    this.host.addEventListener('click', (event) => this.selectNode(event));
    state.subscribe((next) => this.show(next));
    this.show(state.current);
  }

  private show(state: ViewState): void {
    if (state.view !== 'graph') return;
    const key = refineQuery(state).toString();
    if (key !== this.loadedFor) void this.load(state, key);
    else this.markSelected(state.fn);
  }

  private async load(state: ViewState, key: string): Promise<void> {
    const token = ++this.loadToken;
    this.loadedFor = key;
    this.status.textContent = 'Laying out the call graph…';
    this.status.hidden = false;
    try {
      const graph = await api.callGraph(refineQuery(state));
      const svg = await this.graphviz.render(graph.dot);
      if (token !== this.loadToken) return;
      this.mount(graph, sanitizeSvg(svg));
      this.markSelected(this.state.current.fn);
      this.status.hidden = true;
    } catch (error) {
      if (token !== this.loadToken) return;
      this.loadedFor = undefined;
      this.status.textContent = error instanceof Error ? error.message : String(error);
      this.onError(error);
    }
  }

  private mount(graph: CallGraph, svg: SVGSVGElement): void {
    const names = new Map(graph.nodes.map((n) => [String(n.id), n.name]));
    for (const node of svg.querySelectorAll('g.node')) {
      const name = names.get(dotNodeId(node));
      if (name) node.setAttribute('data-function', name);
    }
    this.host.replaceChildren(svg);
    this.panZoom = new PanZoom(svg, this.host);
    if (graph.nodes.length === 0) this.host.replaceChildren(el('p', { className: 'muted', text: 'No nodes left after refining.' }));
  }

  private selectNode(event: MouseEvent): void {
    const node = (event.target as Element).closest?.('g.node');
    const name = node?.getAttribute('data-function');
    if (name) this.state.update({ fn: name === this.state.current.fn ? '' : name }, 'push');
  }

  private markSelected(fn: string): void {
    for (const node of this.host.querySelectorAll('g.node')) {
      node.classList.toggle('selected', fn !== '' && node.getAttribute('data-function') === fn);
    }
  }
}

/** The API's node id from the DOT node name ("N7") that Graphviz writes as the node's title; "" for others (legend). */
function dotNodeId(node: Element): string {
  const title = node.querySelector(':scope > title')?.textContent ?? '';
  return /^N(\d+)$/.exec(title)?.[1] ?? '';
}
