import { api } from '../app/api-client';
import { byId } from '../app/dom';
import { currentTheme, onThemeChange } from '../app/theme';
import { isComparing, refineQuery, UrlState, ViewState } from '../app/url-state';
import { ComparePane } from './compare-pane';
import { describeTagFocus } from './tag-focus';

/** Flame graphs are cut for this width whatever the pane's: two half-width panes need no finer cut. */
const RESOLUTION = 1024;

/**
 * Two label values side by side (tagfocus and compare in the URL): a flame graph of each, with its total. Either
 * side can be kept on its own; Close goes back to the first.
 */
export class CompareView {
  private readonly panes = byId('compare-panes');
  private readonly tooltip = byId('compare-tooltip');
  private shown: ComparePane[] = [];
  private loadToken = 0;

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    byId('compare-close').addEventListener('click', () => state.update({ compare: '' }, 'push'));
    state.subscribe((next, previous) => {
      if (!isComparing(next)) return;
      const same = isComparing(previous) && next.compare === previous.compare && next.inverted === previous.inverted;
      if (!same || refineQuery(next).toString() !== refineQuery(previous).toString()) void this.load(next);
    });
    new ResizeObserver(() => this.shown.forEach((pane) => pane.relayout())).observe(this.panes);
    onThemeChange(() => this.shown.forEach((pane) => pane.setTheme(currentTheme())));
    if (isComparing(state.current)) void this.load(state.current);
  }

  private async load(state: ViewState): Promise<void> {
    const token = ++this.loadToken;
    const first = state.refine.tagfocus;
    const second = state.compare;
    byId('compare-title').textContent = `Compare ${describeTagFocus(first)} with ${describeTagFocus(second)}`;
    const theme = currentTheme();
    this.shown = [
      new ComparePane('a', describeTagFocus(first), 'Keep only this', () => this.state.update({ compare: '' }, 'push'), this.tooltip, theme),
      new ComparePane('b', describeTagFocus(second), 'Keep only this', () => this.keepSecond(), this.tooltip, theme),
    ];
    this.panes.replaceChildren(...this.shown.map((pane) => pane.element));
    const refine = refineQuery(state);
    const other = new URLSearchParams(refine);
    other.set('tagfocus', second);
    try {
      const graphs = await Promise.all([refine, other].map((query) => api.flameGraph(query, state.inverted, [], RESOLUTION)));
      if (token !== this.loadToken) return;
      graphs.forEach((graph, i) => this.shown[i].show(graph));
    } catch (error) {
      if (token === this.loadToken) this.onError(error);
    }
  }

  private keepSecond(): void {
    const current = this.state.current;
    this.state.update({ refine: { ...current.refine, tagfocus: current.compare }, compare: '', zoom: [] }, 'push');
  }
}
