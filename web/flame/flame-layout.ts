import { FlameTree } from './flame-tree';

/** Children narrower than this are merged into one block for drawing; zooming lays them out again from the tree. */
export const MIN_FRAME_PX = 1;
/** A merged block narrower than this is not drawn at all. */
const MIN_MERGED_PX = 0.5;

/**
 * The frames to draw for one zoom and width, ordered by row then x. The zoomed frame's ancestors fill whole rows
 * above it (their callers stay visible); below it each child gets a share of the width by its value.
 * The work is what the screen shows (about width / MIN_FRAME_PX frames a row) plus one scan of those frames'
 * children, not the whole tree.
 */
export interface FlameLayout {
  count: number;
  rows: number;
  zoomRow: number;
  x: Float64Array;
  width: Float64Array;
  /** Tree node, or for a merged block -2 - its parent (see mergedParent). */
  node: Int32Array;
  /** The value a frame stands for (a merged block: the sum of what it merges). */
  value: Float64Array;
  /** Frames of row r are [rowStart[r], rowStart[r + 1]). */
  rowStart: Int32Array;
}

export function isMerged(layout: FlameLayout, frame: number): boolean {
  return layout.node[frame] < -1;
}

export function mergedParent(layout: FlameLayout, frame: number): number {
  return -2 - layout.node[frame];
}

class FrameList {
  x: number[] = [];
  width: number[] = [];
  node: number[] = [];
  value: number[] = [];
  rowStart: number[] = [0];

  add(x: number, width: number, node: number, value: number): void {
    this.x.push(x);
    this.width.push(width);
    this.node.push(node);
    this.value.push(value);
  }

  endRow(): void {
    this.rowStart.push(this.x.length);
  }
}

/** One entry of the row being built: a tree node, or the merged narrow tail of `parent`'s children. */
interface Pending {
  node: number;
  x: number;
  mergedWidth?: number;
  mergedValue?: number;
}

export function layoutFlame(tree: FlameTree, zoom: number, widthPx: number): FlameLayout {
  const frames = new FrameList();
  const ancestors: number[] = [];
  for (let n = tree.parent[zoom]; n >= 0; n = tree.parent[n]) ancestors.unshift(n);
  for (const node of ancestors) {
    frames.add(0, widthPx, node, tree.value[node]);
    frames.endRow();
  }
  const scale = tree.value[zoom] > 0 ? widthPx / tree.value[zoom] : 0;
  let row: Pending[] = [{ node: zoom, x: 0 }];
  while (row.length) {
    const next: Pending[] = [];
    for (const entry of row) {
      if (entry.mergedWidth !== undefined) {
        frames.add(entry.x, entry.mergedWidth, -2 - entry.node, entry.mergedValue ?? 0);
        continue;
      }
      frames.add(entry.x, tree.value[entry.node] * scale, entry.node, tree.value[entry.node]);
      layoutChildren(tree, entry, scale, next);
    }
    frames.endRow();
    row = next;
  }
  return {
    count: frames.x.length,
    rows: frames.rowStart.length - 1,
    zoomRow: ancestors.length,
    x: Float64Array.from(frames.x),
    width: Float64Array.from(frames.width),
    node: Int32Array.from(frames.node),
    value: Float64Array.from(frames.value),
    rowStart: Int32Array.from(frames.rowStart),
  };
}

/**
 * Queues the children wide enough to see, heaviest first (the hot path reads along the left), and merges the rest
 * into one block at the end: the narrow children the tree holds and those the server left out, which are what the
 * node's value leaves over. Only the wide ones are sorted: at most about width / MIN_FRAME_PX of them.
 */
function layoutChildren(tree: FlameTree, { node, x }: Pending, scale: number, next: Pending[]): void {
  const threshold = MIN_FRAME_PX / scale;
  const wide: number[] = [];
  let narrowValue = tree.value[node] - tree.self[node];
  for (let c = tree.childStart[node]; c < tree.childStart[node + 1]; c++) {
    const child = tree.children[c];
    if (tree.value[child] < threshold) continue;
    wide.push(child);
    narrowValue -= tree.value[child];
  }
  wide.sort((a, b) => tree.value[b] - tree.value[a] || a - b);
  let offset = x;
  for (const child of wide) {
    next.push({ node: child, x: offset });
    offset += tree.value[child] * scale;
  }
  if (narrowValue * scale >= MIN_MERGED_PX) next.push({ node, x: offset, mergedWidth: narrowValue * scale, mergedValue: narrowValue });
}

/** The frame under x in row `row`, or -1 (frames in a row are ordered by x). */
export function frameAt(layout: FlameLayout, row: number, x: number): number {
  if (row < 0 || row >= layout.rows) return -1;
  let lo = layout.rowStart[row];
  let hi = layout.rowStart[row + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (x < layout.x[mid]) hi = mid - 1;
    else if (x >= layout.x[mid] + layout.width[mid]) lo = mid + 1;
    else return mid;
  }
  return -1;
}
