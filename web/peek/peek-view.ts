import { api } from '../app/api-client';
import type { Peek, PeekEdge } from '../app/api-types';
import { byId, el } from '../app/dom';
import { refineQuery, UrlState, ViewState } from '../app/url-state';

/** pprof's Peek (speedscope's sandwich): who calls the selected function and what it calls, by value. */
export class PeekView {
  private readonly panel = byId('peek-panel');
  private readonly content = byId('peek-content');
  private loadToken = 0;

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

  private async load(state: ViewState): Promise<void> {
    const token = ++this.loadToken;
    this.panel.hidden = !state.fn;
    if (!state.fn) return;
    this.content.replaceChildren(el('p', { className: 'muted', text: 'Loading…' }));
    try {
      const peek = await api.peek(refineQuery(state), state.fn);
      if (token === this.loadToken) this.render(peek);
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
    const items = edges.map((edge) => {
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
    });
    return el('section', { className: 'peek-list' }, [el('h3', { text: `${title} (${edges.length})` }), items.length ? el('ul', {}, items) : el('p', { className: 'muted', text: empty })]);
  }
}
