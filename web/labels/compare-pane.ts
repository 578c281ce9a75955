import type { FlameGraphJson } from '../app/api-types';
import { el } from '../app/dom';
import { formatPercent, formatValue } from '../app/format';
import type { Theme } from '../app/theme';
import { drawFlame, prepareCanvas, ROW_HEIGHT } from '../flame/flame-canvas';
import { paletteFor } from '../flame/flame-colors';
import { FlameLayout, frameAt, layoutFlame } from '../flame/flame-layout';
import { placeTooltip, tooltipContent } from '../flame/flame-tooltip';
import { buildFlameTree, FlameTree } from '../flame/flame-tree';

/** One side of a comparison: the label value's name and total over its whole flame graph, drawn to fit the pane. */
export class ComparePane {
  readonly element: HTMLElement;
  private readonly total = el('span', { className: 'pane-total muted' });
  private readonly scroller = el('div', { className: 'pane-scroll' });
  private readonly canvas = el('canvas', { className: 'pane-canvas', attrs: { role: 'img', 'aria-label': 'Flame graph of this label value: hover a frame for its values' } });
  private tree?: FlameTree;
  private layout?: FlameLayout;
  private palette: string[] = [];
  private hovered = -1;

  constructor(
    side: 'a' | 'b',
    title: string,
    keepLabel: string,
    onKeep: () => void,
    private readonly tooltip: HTMLElement,
    private theme: Theme,
  ) {
    const keep = el('button', { className: 'pane-keep', text: keepLabel, attrs: { type: 'button' } });
    keep.addEventListener('click', onKeep);
    this.scroller.append(this.canvas);
    this.element = el('section', { className: 'compare-pane', attrs: { 'data-pane': side, 'aria-busy': 'true' } }, [
      el('header', {}, [el('strong', { className: 'pane-title', text: title, title }), this.total, el('span', { className: 'spacer' }), keep]),
      this.scroller,
    ]);
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('mouseleave', () => this.hover(undefined));
  }

  show(json: FlameGraphJson): void {
    this.tree = buildFlameTree(json);
    this.palette = paletteFor(this.tree.names, this.theme);
    const root = this.tree.value[0] ?? 0;
    this.element.dataset.total = String(root);
    this.element.removeAttribute('aria-busy');
    this.total.textContent = `${formatValue(root, json.unit)} · ${formatPercent(root, json.total)} of ${formatValue(json.total, json.unit)}`;
    this.relayout();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    if (this.tree) this.palette = paletteFor(this.tree.names, theme);
    this.draw();
  }

  relayout(): void {
    const width = this.scroller.clientWidth;
    if (!this.tree || width === 0) return;
    this.layout = layoutFlame(this.tree, 0, width);
    prepareCanvas(this.canvas, width, this.layout.rows * ROW_HEIGHT);
    this.draw();
  }

  private draw(): void {
    if (!this.tree || !this.layout) return;
    const context = prepareCanvas(this.canvas, this.scroller.clientWidth, this.layout.rows * ROW_HEIGHT);
    drawFlame(context, this.tree, this.layout, { theme: this.theme, palette: this.palette, scrollTop: 0, hovered: this.hovered });
    this.canvas.dataset.frames = String(this.layout.count);
  }

  private hover(event: MouseEvent | undefined): void {
    const frame = event && this.layout ? frameAt(this.layout, Math.floor(event.offsetY / ROW_HEIGHT), event.offsetX) : -1;
    if (frame !== this.hovered) {
      this.hovered = frame;
      this.draw();
    }
    if (frame < 0 || !event || !this.tree || !this.layout) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(...tooltipContent(this.tree, this.layout, frame, 0));
    this.tooltip.hidden = false;
    const panel = this.tooltip.offsetParent?.getBoundingClientRect() ?? document.body.getBoundingClientRect();
    placeTooltip(this.tooltip, panel, event.clientX, event.clientY);
  }
}
