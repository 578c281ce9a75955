import { api } from '../app/api-client';
import { byId, el, userRegex } from '../app/dom';
import { formatPercent, formatValue } from '../app/format';
import { currentTheme, onThemeChange, Theme } from '../app/theme';
import { refineQuery, UrlState, ViewState } from '../app/url-state';
import { diffLegendColors } from '../../src/report/diff/diff-colors';
import type { DiffSearchResult } from '../../src/report/diff/diff-flamegraph';
import { diffLine, diffText } from '../../src/report/diff/diff-text';
import { diffPaletteFor, paletteFor } from './flame-colors';
import { drawFlame, prepareCanvas, ROW_HEIGHT } from './flame-canvas';
import { FlameLayout, frameAt, isMerged, layoutFlame, MIN_FRAME_PX } from './flame-layout';
import { markFunction, matchNodes } from './flame-search';
import { tooltipContent, placeTooltip } from './flame-tooltip';
import { buildFlameTree, findByNames, FlameTree, isWithin, nameOf, namesTo, pathTo } from './flame-tree';

/**
 * The flame graph panel: fetches the call tree the server cut for the current zoom, keeps zoom/search/selection
 * in step with the URL, draws on canvas. A zoom into a frame draws at once from the tree in hand, then again from
 * the server's cut for that frame, which holds the frames too narrow to have been sent before.
 */
export class FlameView {
  private readonly panel = byId('flame-panel');
  private readonly scroller = byId('flame-scroll');
  private readonly canvas = byId<HTMLCanvasElement>('flame-canvas');
  private readonly spacer = byId('flame-spacer');
  private readonly tooltip = byId('flame-tooltip');
  private readonly breadcrumb = byId('flame-breadcrumb');
  private readonly searchInput = byId<HTMLInputElement>('flame-search');
  private readonly searchStatus = byId('flame-search-status');
  private readonly invertedBox = byId<HTMLInputElement>('flame-inverted');
  private tree?: FlameTree;
  private layout?: FlameLayout;
  private zoom = 0;
  private matched?: Uint8Array;
  private searchToken = 0;
  /** The resolution of the cut in hand. */
  private resolution = 0;
  private selected?: Uint8Array;
  private hovered = -1;
  /** Read after the first request has left: reading the page's styles makes the browser compute them all. */
  private theme!: Theme;
  private palette: string[] = [];
  /** A diff's colours per node (by change since the base), in place of the palette. */
  private nodeColors?: string[];
  /** Says which hue is which, shown for a diff. */
  private readonly legend = el('span', { className: 'diff-legend muted', attrs: { id: 'flame-diff-legend' } });
  private loadToken = 0;
  private drawQueued = false;
  private painted = false;
  private markPainted!: () => void;
  /** Settles when the first flame graph is drawn, or its first load failed: the rest of the page waits for it. */
  readonly firstPaint = new Promise<void>((resolve) => (this.markPainted = resolve));

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    // The first cut is requested before anything else: the page's own set-up and first layout happen while the
    // server cuts it.
    if (state.current.view === 'flame') void this.load(state.current);
    this.theme = currentTheme();
    this.legend.hidden = true;
    this.searchInput.before(this.legend);
    this.bindControls();
    this.bindPointer();
    new ResizeObserver(() => this.relayout()).observe(this.scroller);
    onThemeChange(() => {
      this.theme = currentTheme();
      if (this.tree) this.colour(this.tree);
      this.scheduleDraw();
    });
    state.subscribe((next, previous) => this.onState(next, previous));
    this.syncControls(state.current);
    if (state.current.view === 'flame') void this.applySearch(state.current);
  }

  private onState(next: ViewState, previous: ViewState): void {
    this.syncControls(next);
    if (next.view !== 'flame') return;
    const refetch = refineQuery(next).toString() !== refineQuery(previous).toString() || next.inverted !== previous.inverted;
    if (refetch || !this.tree) {
      void this.load(next);
      void this.applySearch(next); // the share depends on the refinement too
      return;
    }
    if (next.zoom.join(';') !== previous.zoom.join(';')) this.applyZoom(next);
    if (next.search !== previous.search) void this.applySearch(next);
    if (next.fn !== previous.fn) this.applySelection(next);
    if (previous.view !== 'flame') this.relayout();
    this.scheduleDraw();
  }

  /** Fetches the cut for the state's zoom; `zoomStarted` times a zoom until this, its complete drawing. */
  private async load(state: ViewState, zoomStarted?: number): Promise<void> {
    const token = ++this.loadToken;
    this.panel.setAttribute('aria-busy', 'true');
    try {
      const resolution = this.wantedResolution();
      const json = await api.flameGraph(refineQuery(state), state.inverted, state.zoom, resolution);
      if (token !== this.loadToken) return;
      this.resolution = resolution;
      this.tree = buildFlameTree(json);
      this.zoom = this.tree.zoom;
      this.colour(this.tree);
      this.relayout();
      this.renderBreadcrumb();
      this.markSearch(state);
      this.applySelection(state);
      this.draw();
      if (zoomStarted !== undefined) performance.measure('flame:zoom', { start: zoomStarted });
    } catch (error) {
      if (token === this.loadToken) this.onError(error);
      this.markPainted();
    } finally {
      if (token === this.loadToken) this.panel.removeAttribute('aria-busy');
    }
  }

  /**
   * Draws the new zoom from the tree in hand when it holds it (a frame below the current zoom). When the tree in
   * hand holds every frame of a pixel or more at the new zoom, that drawing is exactly what the server's cut would
   * draw (narrower frames are merged either way), so nothing is fetched; otherwise the cut is fetched and drawn.
   */
  private applyZoom(state: ViewState): void {
    if (!this.tree) return;
    const started = performance.now();
    const node = findByNames(this.tree, state.zoom);
    if (node >= 0 && isWithin(this.tree, node, this.tree.zoom)) {
      this.zoom = node;
      this.relayout();
      this.renderBreadcrumb();
      if (this.tree.minValue <= (Math.abs(this.tree.value[node]) * MIN_FRAME_PX) / this.scroller.clientWidth) {
        this.loadToken++; // a cut still on its way is for another zoom
        this.panel.removeAttribute('aria-busy');
        this.draw();
        performance.measure('flame:zoom', { start: started });
        return;
      }
    }
    void this.load(state, started);
  }

  /** Highlights the matching frames in hand at once; the share they cover comes from the server. */
  private async applySearch(state: ViewState): Promise<void> {
    const started = performance.now();
    const token = ++this.searchToken;
    this.markSearch(state);
    const source = state.search;
    const valid = userRegex(source) !== undefined;
    this.searchStatus.classList.toggle('error', Boolean(source) && !valid);
    if (!source) this.searchStatus.textContent = '';
    else if (!valid) this.searchStatus.textContent = 'not a valid regular expression';
    if (!source || !valid) return;
    this.searchStatus.textContent = 'searching…';
    try {
      const found = await api.flameSearch(refineQuery(state), state.inverted, source);
      if (token !== this.searchToken) return;
      const { value, functions, total } = found;
      const unit = this.tree?.unit ?? '';
      const diff = (found as Partial<DiffSearchResult>).diff;
      const matched = `${functions} ${functions === 1 ? 'function' : 'functions'}`;
      // A diff's: how the matching stacks changed, base to new (the frames drawn are wide by what `value` is).
      const changed = diff && diffText(diff.newValue, diff.baseValue, unit);
      this.searchStatus.title = diff ? `${formatValue(value, unit)} wide: ${diffLine(diff.newValue, diff.baseValue, unit)}` : '';
      this.searchStatus.textContent =
        functions === 0
          ? 'no match'
          : changed
            ? `${matched} · ${changed.baseValue} → ${changed.newValue} (${changed.deltaPercent})`
            : `${matched} · ${formatValue(value, unit)} · ${formatPercent(value, total)} of total`;
      performance.measure('flame:search', { start: started });
    } catch (error) {
      if (token === this.searchToken) this.onError(error);
    }
  }

  /** The palette for the tree's names, or a diff's colours by change, and the legend that explains them. */
  private colour(tree: FlameTree): void {
    this.palette = paletteFor(tree.names, this.theme);
    this.nodeColors = diffPaletteFor(tree, this.theme);
    this.legend.hidden = !this.nodeColors;
    if (!this.nodeColors) return;
    const colors = diffLegendColors(this.theme);
    const swatch = (color: string, label: string) => {
      const chip = el('span', { className: 'swatch' });
      chip.style.background = color; // the theme's, computed: the rest is in style.css
      return [chip, label];
    };
    this.legend.title = 'A diff: frames are sized by the new capture (those gone since the base by the base) and coloured by (new − base) / base, the stronger the bigger the change; grey frames are unchanged';
    this.legend.replaceChildren(...swatch(colors.growth, 'grew'), ...swatch(colors.shrinkage, 'shrank'));
  }

  private markSearch(state: ViewState): void {
    const pattern = userRegex(state.search);
    this.matched = this.tree && pattern ? matchNodes(this.tree, pattern) : undefined;
    this.scheduleDraw();
  }

  private applySelection(state: ViewState): void {
    this.selected = this.tree && state.fn ? markFunction(this.tree, state.fn) : undefined;
  }

  /**
   * The cut the server should send: every frame of a pixel or more at the panel's width (narrower ones are merged
   * for drawing into what their parent's value leaves over, so the drawing is the same whatever narrower frames
   * come too). A power of two, so that resizing within one does not refetch. For the first cut the window's width
   * stands in (it bounds the panel's): reading it does not wait for the page's first layout, so the request leaves
   * at once.
   */
  private wantedResolution(): number {
    const width = (this.tree ? this.scroller.clientWidth : 0) || window.innerWidth || 1024;
    return 2 ** Math.ceil(Math.log2(Math.min(Math.max(width, 512), 16384)));
  }

  private relayout(): void {
    if (!this.tree || this.scroller.clientWidth === 0) return;
    if (this.wantedResolution() > this.resolution && this.state.current.view === 'flame') void this.load(this.state.current);
    this.layout = layoutFlame(this.tree, this.zoom, this.scroller.clientWidth);
    this.hovered = -1;
    const contentHeight = this.layout.rows * ROW_HEIGHT;
    const viewHeight = Math.min(this.scroller.clientHeight, contentHeight);
    this.spacer.style.height = `${Math.max(0, contentHeight - viewHeight)}px`;
    prepareCanvas(this.canvas, this.scroller.clientWidth, viewHeight);
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      this.draw();
    });
  }

  private draw(): void {
    if (!this.tree || !this.layout) return;
    const context = prepareCanvas(this.canvas, this.scroller.clientWidth, this.canvas.height / (window.devicePixelRatio || 1));
    drawFlame(context, this.tree, this.layout, {
      theme: this.theme,
      palette: this.palette,
      nodeColors: this.nodeColors,
      scrollTop: this.scroller.scrollTop,
      matched: this.matched,
      selected: this.selected,
      hovered: this.hovered,
    });
    this.canvas.dataset.frames = String(this.layout.count);
    if (!this.painted) {
      this.painted = true;
      this.markPainted();
      performance.mark('flame:first-paint');
    }
  }

  /** "all › … › caller › zoomed": the frames in between are the rows above the zoomed frame anyway. */
  private renderBreadcrumb(): void {
    const tree = this.tree;
    if (!tree) return;
    const path = pathTo(tree, this.zoom);
    const crumb = (node: number) => {
      const name = node === 0 ? 'all' : nameOf(tree, node);
      // The package path is long and shared; the end of the name tells frames apart.
      const label = name.slice(name.lastIndexOf('/') + 1);
      if (node === this.zoom) return el('span', { className: 'crumb current', text: label, title: name, attrs: { 'aria-current': 'true' } });
      const button = el('button', { className: 'crumb', text: label, title: name, attrs: { type: 'button' } });
      button.addEventListener('click', () => this.zoomTo(node));
      return button;
    };
    const shown = path.length > 4 ? [0, -1, ...path.slice(-2)] : path;
    const hidden = path.slice(1, -2).map((n) => nameOf(tree, n)).join('\n');
    const items = shown.map((node) => (node < 0 ? el('span', { className: 'crumb gap', text: '…', title: hidden }) : crumb(node)));
    const reset = el('button', { className: 'reset', text: 'Reset zoom', attrs: { type: 'button', id: 'flame-reset' } });
    reset.hidden = this.zoom === 0;
    reset.addEventListener('click', () => this.zoomTo(0));
    this.breadcrumb.replaceChildren(...items, reset);
  }

  private zoomTo(node: number): void {
    if (!this.tree) return;
    this.state.update({ zoom: namesTo(this.tree, node) }, 'push');
  }

  private bindControls(): void {
    let typing: number | undefined;
    this.searchInput.addEventListener('input', () => {
      clearTimeout(typing);
      typing = window.setTimeout(() => this.state.update({ search: this.searchInput.value }), 120);
    });
    this.invertedBox.addEventListener('change', () => this.state.update({ inverted: this.invertedBox.checked, zoom: [] }, 'push'));
    this.scroller.addEventListener('scroll', () => this.scheduleDraw(), { passive: true });
    window.addEventListener('keydown', (event) => {
      if (event.target instanceof HTMLInputElement || this.state.current.view !== 'flame') return;
      if (event.key === 'Escape' && this.zoom !== 0) this.zoomTo(0);
      if (event.key === '/') {
        event.preventDefault();
        this.searchInput.focus();
      }
    });
  }

  private syncControls(state: ViewState): void {
    if (document.activeElement !== this.searchInput) this.searchInput.value = state.search;
    this.invertedBox.checked = state.inverted;
  }

  private bindPointer(): void {
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('mouseleave', () => this.hover(undefined));
    this.canvas.addEventListener('click', (event) => {
      const frame = this.frameUnder(event);
      if (frame < 0 || !this.layout || isMerged(this.layout, frame)) return;
      const node = this.layout.node[frame];
      this.zoomTo(node === this.zoom ? (this.tree?.parent[node] ?? 0) : node);
    });
  }

  private frameUnder(event: MouseEvent): number {
    if (!this.layout) return -1;
    const row = Math.floor((event.offsetY + this.scroller.scrollTop) / ROW_HEIGHT);
    return frameAt(this.layout, row, event.offsetX);
  }

  private hover(event: MouseEvent | undefined): void {
    const frame = event ? this.frameUnder(event) : -1;
    if (frame !== this.hovered) {
      this.hovered = frame;
      this.scheduleDraw();
    }
    if (frame < 0 || !event || !this.tree || !this.layout) {
      this.tooltip.hidden = true;
      this.canvas.style.cursor = '';
      return;
    }
    this.canvas.style.cursor = isMerged(this.layout, frame) ? 'default' : 'pointer';
    this.tooltip.replaceChildren(...tooltipContent(this.tree, this.layout, frame, this.zoom));
    this.tooltip.hidden = false;
    placeTooltip(this.tooltip, this.panel.getBoundingClientRect(), event.clientX, event.clientY);
  }
}
