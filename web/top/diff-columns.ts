import type { TopRow, TopRowDiff, TopTable } from '../app/api-types';
import { el } from '../app/dom';
import { formatValue } from '../app/format';
import type { SortKey } from '../app/url-state';

// A diff's top table (pprof -diff_base): for flat and for cum, the new capture's value, the base's, the delta
// (new - base, what row.flat and row.cum are) and the change relative to the base.

/** Columns after the two header rows' groups, left to right; each header sorts by its key. */
const GROUPS: Array<{ title: string; columns: Array<{ key: SortKey; text: string; pct?: boolean }> }> = [
  { title: 'flat', columns: [{ key: 'newFlat', text: 'new' }, { key: 'baseFlat', text: 'base' }, { key: 'flat', text: 'delta' }, { key: 'flatChange', text: 'delta %', pct: true }] },
  { title: 'cum', columns: [{ key: 'newCum', text: 'new' }, { key: 'baseCum', text: 'base' }, { key: 'cum', text: 'delta' }, { key: 'cumChange', text: 'delta %', pct: true }] },
];
/**
 * Column widths (px): the table scrolls sideways rather than cut a number off. Nine columns do not fit the side
 * panel, so the function comes first here: it and flat's four are what shows before a scroll.
 */
const NUM_WIDTH = '68';
const PCT_WIDTH = '62';
const FN_WIDTH = '160';

export const DIFF_COLUMNS = GROUPS.reduce((n, g) => n + g.columns.length, 0) + 1;

export function isDiffTable(table: TopTable): boolean {
  return table.diff !== undefined || table.rows.some((row) => row.diff !== undefined);
}

/** The column widths and two header rows: the function, then flat and cum over new, base, delta, delta %. */
export function diffHeader(): { colgroup: HTMLTableColElement; thead: HTMLTableSectionElement } {
  const widths = GROUPS.flatMap((g) => g.columns.map((c) => (c.pct ? PCT_WIDTH : NUM_WIDTH)));
  const colgroup = el('colgroup', {}, [FN_WIDTH, ...widths].map((width) => el('col', { attrs: { width } })));
  const sortButton = (key: SortKey, text: string) => el('button', { text, attrs: { type: 'button', 'data-sort': key } });
  const groupRow = el('tr', {}, [
    el('th', { attrs: { rowspan: '2', 'data-column': 'name' } }, [sortButton('name', 'function')]),
    ...GROUPS.map((g) => el('th', { className: 'num diff-group', text: g.title, attrs: { colspan: String(g.columns.length), scope: 'colgroup' } })),
  ]);
  const columnRow = el(
    'tr',
    {},
    GROUPS.flatMap((g) => g.columns.map((c) => el('th', { className: 'num', title: `${g.title}: ${c.text}`, attrs: { 'data-column': c.key } }, [sortButton(c.key, c.text)]))),
  );
  return { colgroup, thead: el('thead', {}, [groupRow, columnRow]) };
}

/** The row's eight numbers, as the header orders them. */
export function diffCells(row: TopRow): HTMLTableCellElement[] {
  const d = row.diff ?? sameAsDelta(row);
  const numbers = (newText: string, baseText: string, delta: number, deltaText: string, change: number | null, newValue: number) => [
    el('td', { className: 'num', text: newText }),
    el('td', { className: 'num', text: baseText }),
    el('td', { className: `num delta ${direction(delta)}`, text: delta > 0 ? `+${deltaText}` : deltaText }),
    el('td', { className: `num pct change ${direction(delta)}`, text: formatChange(change, newValue) }),
  ];
  return [...numbers(d.newFlatText, d.baseFlatText, row.flat, row.flatText, d.flatChange, d.newFlat), ...numbers(d.newCumText, d.baseCumText, row.cum, row.cumText, d.cumChange, d.newCum)];
}

/** "+12.3%", "-100%" (gone), "new" (none in the base), "" (none in either). */
export function formatChange(change: number | null, newValue: number): string {
  if (change === null) return newValue !== 0 ? 'new' : '';
  const text = (change * 100).toFixed(1).replace(/\.0$/, '');
  if (text === '0' || text === '-0') return '0%';
  return `${change > 0 ? '+' : ''}${text}%`;
}

/** Biggest first, names A to Z; `reverse` flips it. A change that cannot be had (none in either) stays last. */
export function compareDiffRows(sort: SortKey, reverse: boolean): (a: TopRow, b: TopRow) => number {
  const flip = reverse ? -1 : 1;
  if (sort === 'name') return (a, b) => flip * byName(a, b);
  return (a, b) => {
    const x = sortValue(a, sort);
    const y = sortValue(b, sort);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(x)) - Number(Number.isNaN(y)) || byName(a, b);
    return flip * (y > x ? 1 : y < x ? -1 : 0) || byName(a, b);
  };
}

/** The value a column sorts by; a change with no base is +Infinity (new beats any growth), NaN when neither side has any. */
function sortValue(row: TopRow, key: Exclude<SortKey, 'name'>): number {
  const d = row.diff ?? sameAsDelta(row);
  switch (key) {
    case 'flat':
      return row.flat;
    case 'cum':
      return row.cum;
    case 'flatChange':
      return changeValue(d.flatChange, d.newFlat);
    case 'cumChange':
      return changeValue(d.cumChange, d.newCum);
    default:
      return d[key];
  }
}

function changeValue(change: number | null, newValue: number): number {
  if (change !== null) return change;
  return newValue !== 0 ? Infinity : NaN;
}

function byName(a: TopRow, b: TopRow): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function direction(delta: number): string {
  return delta > 0 ? 'up' : delta < 0 ? 'down' : 'same';
}

/** A row of a diff that came without its sides (none should): the delta as new, nothing in the base. */
function sameAsDelta(row: TopRow): TopRowDiff {
  return {
    newFlat: row.flat,
    baseFlat: 0,
    newCum: row.cum,
    baseCum: 0,
    newFlatText: row.flatText,
    baseFlatText: '',
    newCumText: row.cumText,
    baseCumText: '',
    flatChange: null,
    cumChange: null,
  };
}

/** new, base and the delta of the rows shown, as the summary line says them. */
export function diffTotals(table: TopTable, shown: number): string {
  const delta = formatValue(shown, table.unit);
  const change = `${shown > 0 ? '+' : ''}${delta}`;
  if (!table.diff) return `delta ${change}`;
  return `new ${table.diff.newTotalText} − base ${table.totalText} = ${change}`;
}
