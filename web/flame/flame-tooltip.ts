import { formatPercent, formatValue } from '../app/format';
import { diffText } from '../../src/report/diff/diff-text';
import { el } from '../app/dom';
import { FlameLayout, isMerged, mergedParent } from './flame-layout';
import { FlameTree, nameOf } from './flame-tree';

/** The lines of a frame's tooltip: name, file, flat and cum with unit and share of the total. */
export function tooltipContent(tree: FlameTree, layout: FlameLayout, frame: number, zoom: number): HTMLElement[] {
  const value = (v: number) => `${formatValue(v, tree.unit)} (${formatPercent(v, tree.total)})`;
  if (isMerged(layout, frame)) {
    const parent = mergedParent(layout, frame);
    return [
      el('div', { className: 'tip-name', text: 'Frames too narrow to draw' }),
      el('div', { className: 'tip-file', text: `called from ${nameOf(tree, parent)}` }),
      el('div', { text: `cum ${value(layout.value[frame])}` }),
      el('div', { className: 'tip-hint', text: 'Zoom into a caller to see them' }),
    ];
  }
  const node = layout.node[frame];
  const lines = [
    el('div', { className: 'tip-name', text: nameOf(tree, node) }),
    el('div', { className: 'tip-file', text: sourceOf(tree, node) }),
    ...(tree.diff
      ? diffValues(tree, node)
      : [
          el('div', { className: 'tip-values' }, [
            el('span', { text: 'flat ' }),
            el('b', { text: value(tree.self[node]) }),
            el('span', { text: '   cum ' }),
            el('b', { text: value(tree.value[node]) }),
          ]),
        ]),
  ];
  const belowZoom = frame >= layout.rowStart[layout.zoomRow + 1];
  if (zoom > 0 && belowZoom && tree.value[zoom] > 0) {
    lines.push(el('div', { className: 'tip-hint', text: `${formatPercent(tree.value[node], tree.value[zoom])} of ${nameOf(tree, zoom)}` }));
  }
  return lines;
}

/** A diff frame's cum in each capture, and how it changed: "new 4MB   base 0" and "delta +4MB (new)". */
function diffValues(tree: FlameTree, node: number): HTMLElement[] {
  const diff = tree.diff as NonNullable<FlameTree['diff']>;
  const text = diffText(diff.newValue[node], diff.baseValue[node], tree.unit);
  return [
    el('div', { className: 'tip-values tip-diff' }, [el('span', { text: 'new ' }), el('b', { text: text.newValue }), el('span', { text: '   base ' }), el('b', { text: text.baseValue })]),
    el('div', { className: 'tip-values tip-delta' }, [el('span', { text: 'delta ' }), el('b', { text: `${text.delta} (${text.deltaPercent})` })]),
  ];
}

/** "file:line", the file alone when the profile has no line for it, "no file" for the root and unsymbolized frames. */
function sourceOf(tree: FlameTree, node: number): string {
  const name = tree.name[node];
  const file = tree.files[name];
  if (!file) return 'no file';
  return tree.lines[name] > 0 ? `${file}:${tree.lines[name]}` : file;
}

/** Places the tooltip near the pointer, flipped to stay inside the panel. */
export function placeTooltip(tip: HTMLElement, panel: DOMRect, clientX: number, clientY: number): void {
  const { width, height } = tip.getBoundingClientRect();
  const left = clientX + 14 + width > panel.right ? clientX - width - 14 : clientX + 14;
  const top = clientY + 18 + height > panel.bottom ? clientY - height - 10 : clientY + 18;
  tip.style.left = `${Math.max(panel.left, left) - panel.left}px`;
  tip.style.top = `${Math.max(panel.top, top) - panel.top}px`;
}
