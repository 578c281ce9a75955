import { api } from '../app/api-client';
import type { Peek, PeekEdge } from '../app/api-types';
import { byId, el, measureWhenPainted } from '../app/dom';
import { refineQuery, UrlState, ViewState } from '../app/url-state';

/** Edges drawn at a time, and the height of one (the room held for those not drawn yet). */
const EDGES_AT_ONCE = 200;
const EDGE_ROW_PX = 23;

/** pprof's Peek (speedscope's sandwich): who calls the selected function and what it calls, by value. */
export class PeekView {
  private readonly panel = byId('peek-panel');
  private readonly content = byId('peek-content');
  private loadToken = 0;
  /** Watching for edges not drawn yet to be scrolled to; let go of when other content replaces them. */
  private readonly watching: IntersectionObserver[] = [];

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    byId('peek-close').addEventListener('click', () => state.update({ fn: '' }, 'push'));
    state.subscribe((next, previous) => {
      if (next.fn !== previous.fn || refineQuery(next).toString() !== refineQuery(previous).toString()) void this.load(next);
    });
    void this.load(state.current);
  }

  /** Fetches the peek of the state's function; `peek:shown` times it from here until it is painted. */
  private async load(state: ViewState): Promise<void> {
    const started = performance.now();
    const token = ++this.loadToken;
    this.panel.hidden = !state.fn;
    if (!state.fn) return;
    for (const observer of this.watching.splice(0)) observer.disconnect();
    this.content.replaceChildren(el('p', { className: 'muted', text: 'Loading…' }));
    try {
      const peek = await api.peek(refineQuery(state), state.fn);
      if (token !== this.loadToken) return;
      this.render(peek);
      measureWhenPainted('peek:shown', started);
    } catch (error) {
      if (token !== this.loadToken) return;
      this.content.replaceChildren(el('p', { className: 'error', text: error instanceof Error ? error.message : String(error) }));
      this.onError(error);
    }
  }

  private render(peek: Peek): void {
    this.content.replaceChildren(
      el('div', { className: 'peek-fn', text: peek.function }),
      el('div', { className: 'peek-values' }, [el('span', { text: 'flat ' }), el('b', { text: peek.flatText }), el('span', { text: '  cum ' }), el('b', { text: peek.cumText })]),
      this.edgeList('Callers', peek.callers, peek.cum, 'no callers: a root of the stacks'),
      this.edgeList('Callees', peek.callees, peek.cum, 'no callees: all its time is its own'),
    );
  }

  private edgeList(title: string, edges: PeekEdge[], cum: number, empty: string): HTMLElement {
    const heading = el('h3', { text: `${title} (${edges.length})` });
    if (edges.length === 0) return el('section', { className: 'peek-list' }, [heading, el('p', { className: 'muted', text: empty })]);
    const list = el('ul');
    this.drawEdges(list, edges, 0, cum);
    return el('section', { className: 'peek-list' }, [heading, list]);
  }

  /**
   * Draws edges from `from` on, EDGES_AT_ONCE of them, and holds the room of the rest (a function called from
   * thousands of places has thousands of callers): they are drawn as they are scrolled to, so that opening a peek
   * does not wait for thousands of rows nobody sees yet, nor does closing it.
   */
  private drawEdges(list: HTMLElement, edges: PeekEdge[], from: number, cum: number): void {
    const to = Math.min(edges.length, from + EDGES_AT_ONCE);
    for (let i = from; i < to; i++) list.append(this.edgeItem(edges[i], cum));
    if (to === edges.length) return;
    const later = el('li', { className: 'later', attrs: { 'aria-hidden': 'true' } });
    later.style.height = `${(edges.length - to) * EDGE_ROW_PX}px`;
    list.append(later);
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      this.watching.splice(this.watching.indexOf(observer), 1);
      later.remove();
      this.drawEdges(list, edges, to, cum);
    }, { root: this.content });
    observer.observe(later);
    this.watching.push(observer);
  }

  private edgeItem(edge: PeekEdge, cum: number): HTMLElement {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${cum > 0 ? Math.min(100, (Math.abs(edge.value) / Math.abs(cum)) * 100) : 0}%`;
    const button = el('button', { className: 'edge', title: edge.name, attrs: { type: 'button' } }, [
      bar,
      el('span', { className: 'edge-value', text: edge.valueText }),
      el('span', { className: 'edge-pct', text: edge.percent }),
      el('span', { className: 'edge-name', text: edge.name }),
    ]);
    button.addEventListener('click', () => this.state.update({ fn: edge.name }, 'push'));
    return el('li', {}, [button]);
  }
}
