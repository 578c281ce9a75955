import type { Theme } from '../app/theme';
import { FlameLayout, isMerged } from './flame-layout';
import { FlameTree } from './flame-tree';

export const ROW_HEIGHT = 18;
const LABEL_MIN_PX = 28;
const PADDING_PX = 4;

export interface DrawOptions {
  theme: Theme;
  /** Per name. */
  palette: string[];
  /** Per node, in place of the palette: a diff's colours by change. */
  nodeColors?: string[];
  /** Rows scrolled out of view above (in CSS pixels). */
  scrollTop: number;
  /** Per node: 1 where the search matched; frames elsewhere are dimmed. */
  matched?: Uint8Array;
  /** Per node: 1 for the selected function, outlined. */
  selected?: Uint8Array;
  hovered: number;
}

/** Sizes the canvas backing store for the device's pixel ratio; returns the 2D context scaled to CSS pixels. */
export function prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const context = canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}

/** Draws only the rows in view; names go through fillText, never markup. */
export function drawFlame(context: CanvasRenderingContext2D, tree: FlameTree, layout: FlameLayout, options: DrawOptions): void {
  const { theme } = options;
  const width = context.canvas.width / (window.devicePixelRatio || 1);
  const height = context.canvas.height / (window.devicePixelRatio || 1);
  context.fillStyle = theme.background;
  context.fillRect(0, 0, width, height);
  context.font = theme.font;
  context.textBaseline = 'middle';
  const charWidth = context.measureText('M').width;
  const firstRow = Math.max(0, Math.floor(options.scrollTop / ROW_HEIGHT));
  const lastRow = Math.min(layout.rows - 1, Math.floor((options.scrollTop + height) / ROW_HEIGHT));
  for (let row = firstRow; row <= lastRow; row++) {
    const y = row * ROW_HEIGHT - options.scrollTop;
    for (let f = layout.rowStart[row]; f < layout.rowStart[row + 1]; f++) {
      drawFrame(context, tree, layout, f, y, charWidth, options, row < layout.zoomRow);
    }
  }
}

function drawFrame(
  context: CanvasRenderingContext2D,
  tree: FlameTree,
  layout: FlameLayout,
  frame: number,
  y: number,
  charWidth: number,
  options: DrawOptions,
  ancestor: boolean,
): void {
  const x = layout.x[frame];
  const w = layout.width[frame];
  const merged = isMerged(layout, frame);
  const node = layout.node[frame];
  const dimmed = options.matched !== undefined && (merged || !options.matched[node]);
  context.globalAlpha = dimmed || ancestor ? 0.45 : 1;
  context.fillStyle = merged ? options.theme.line : options.matched && !dimmed ? options.theme.highlight : (options.nodeColors?.[node] ?? options.palette[tree.name[node]]);
  context.fillRect(x, y, Math.max(w - 1, 0.5), ROW_HEIGHT - 1);
  context.globalAlpha = 1;
  if (!merged && (options.selected?.[node] || frame === options.hovered)) {
    context.strokeStyle = options.selected?.[node] ? options.theme.accent : options.theme.text;
    context.lineWidth = options.selected?.[node] ? 2 : 1;
    context.strokeRect(x + 1, y + 1, Math.max(w - 3, 0), ROW_HEIGHT - 3);
  }
  if (merged || w < LABEL_MIN_PX) return;
  const label = fitLabel(tree.names[tree.name[node]], Math.floor((w - 2 * PADDING_PX) / charWidth));
  if (!label) return;
  context.fillStyle = options.theme.dark && !dimmed ? '#f4f4f4' : options.theme.dark ? options.theme.muted : '#1b1f24';
  context.fillText(label, x + PADDING_PX, y + ROW_HEIGHT / 2);
}

/** Cuts a name to `chars` characters, keeping its end (the function) rather than its package path. */
export function fitLabel(name: string, chars: number): string {
  if (chars < 3) return '';
  if (name.length <= chars) return name;
  return `…${name.slice(name.length - chars + 1)}`;
}
