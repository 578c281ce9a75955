import { api } from '../app/api-client';
import type { TopRow, TopTable } from '../app/api-types';
import { byId, el, measureWhenPainted, onActivate, userRegex } from '../app/dom';
import { formatPercent, formatValue } from '../app/format';
import { compareDiffRows, diffCells, diffHeader, diffTotals, DIFF_COLUMNS, isDiffTable } from './diff-columns';
import { RefineKey, refineQuery, REGEX_REFINE_KEYS, SortKey, UrlState, ViewState } from '../app/url-state';

/** Rows drawn at once; the filter narrows the rest. A DOM row per function is fine at this size. */
const MAX_ROWS = 300;

/** pprof's top table: sortable by flat or cum (a diff's by any column), filterable; a click selects the function everywhere. */
export class TopTableView {
  private readonly body = byId('top-body');
  private readonly summary = byId('top-summary');
  private readonly filterInput = byId<HTMLInputElement>('top-filter');
  private readonly tableElement = byId<HTMLTableElement>('top-table');
  private table?: TopTable;
  private loadToken = 0;

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    this.filterInput.value = state.current.filter;
    let typing: number | undefined;
    this.filterInput.addEventListener('input', () => {
      clearTimeout(typing);
      typing = window.setTimeout(() => state.update({ filter: this.filterInput.value }), 100);
    });
    // On the table, not each button: a diff's table gets headers of its own when it arrives.
    this.tableElement.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-sort]');
      if (button) this.sortBy(button.dataset.sort as SortKey);
    });
    state.subscribe((next, previous) => this.onState(next, previous));
    void this.load(state.current);
  }

  private onState(next: ViewState, previous: ViewState): void {
    if (document.activeElement !== this.filterInput) this.filterInput.value = next.filter;
    if (refineQuery(next).toString() !== refineQuery(previous).toString()) void this.load(next);
    else if (next.sort !== previous.sort || next.sortReverse !== previous.sortReverse || next.filter !== previous.filter || next.fn !== previous.fn) this.render(next);
  }

  /** A header click: that column, biggest first; in a diff's table, the same column again reverses it. */
  private sortBy(sort: SortKey): void {
    const { current } = this.state;
    const diff = this.table !== undefined && isDiffTable(this.table);
    this.state.update({ sort, sortReverse: diff && sort === current.sort ? !current.sortReverse : false });
  }

  /** Fetches the table for the state's refinement; `top:shown` times it from here until its rows are painted. */
  private async load(state: ViewState): Promise<void> {
    const started = performance.now();
    const token = ++this.loadToken;
    try {
      const table = await api.top(refineQuery(state));
      if (token !== this.loadToken) return;
      this.table = table;
      this.render(state);
      measureWhenPainted('top:shown', started);
    } catch (error) {
      if (token === this.loadToken) this.onError(error);
    }
  }

  private render(state: ViewState): void {
    const table = this.table;
    if (!table) return;
    const diff = isDiffTable(table);
    if (diff) this.showDiffHeader();
    const filtered = filterRows(table.rows, state.filter);
    const rows = diff ? [...filtered].sort(compareDiffRows(state.sort, state.sortReverse)) : sortRows(filtered, state.sort);
    let running = 0;
    const shown = rows.slice(0, MAX_ROWS).map((row) => {
      running += row.flat;
      return this.rowElement(row, formatPercent(running, table.total), row.name === state.fn, diff);
    });
    if (rows.length > MAX_ROWS) {
      const colspan = String(diff ? DIFF_COLUMNS : 5);
      shown.push(el('tr', { className: 'more' }, [el('td', { text: `${rows.length - MAX_ROWS} more: filter to narrow`, attrs: { colspan } })]));
    }
    this.body.replaceChildren(...shown);
    this.markSort(state, diff);
    const count = rows.length === table.rows.length ? `${rows.length} functions` : `${rows.length} of ${table.rows.length} functions`;
    const totals = diff ? diffTotals(table, rows.reduce((sum, row) => sum + row.flat, 0)) : shownTotal(table, isRefined(state));
    this.summary.textContent = `${totals} · ${count}`;
    this.summary.title = diff ? this.summary.textContent : '';
  }

  /** Once: new, base, delta and delta % for flat and cum, in place of the page's own flat, flat%, cum, cum%. */
  private showDiffHeader(): void {
    if (this.tableElement.classList.contains('diff')) return;
    const { colgroup, thead } = diffHeader();
    this.tableElement.querySelector('colgroup')?.remove();
    this.tableElement.querySelector('thead')?.replaceWith(thead);
    this.tableElement.prepend(colgroup);
    this.tableElement.classList.add('diff');
  }

  private markSort(state: ViewState, diff: boolean): void {
    // Without a column of its own (a diff's sort in a plain table's link), a plain table keeps pprof's order by flat.
    const active = diff || state.sort === 'cum' ? state.sort : 'flat';
    for (const button of this.tableElement.querySelectorAll<HTMLElement>('[data-sort]')) {
      const pressed = button.dataset.sort === active;
      button.setAttribute('aria-pressed', String(pressed));
      const order = state.sortReverse === (active === 'name') ? 'descending' : 'ascending';
      if (diff) button.closest('th')?.setAttribute('aria-sort', pressed ? order : 'none');
    }
  }

  private rowElement(row: TopRow, sumPercent: string, selected: boolean, diff: boolean): HTMLTableRowElement {
    const percents = diff ? `flat ${row.flatPercent} · cum ${row.cumPercent} of the base's total` : '';
    const title = [row.name, row.file, row.inline ? 'inlined' : '', percents, `sum% ${sumPercent}`].filter(Boolean).join('\n');
    const name = el('td', { className: row.inline ? 'fn inline' : 'fn', text: row.name, title });
    const numbers = diff
      ? diffCells(row)
      : [
          el('td', { className: 'num', text: row.flatText }),
          el('td', { className: 'num pct', text: row.flatPercent }),
          el('td', { className: 'num', text: row.cumText }),
          el('td', { className: 'num pct', text: row.cumPercent }),
        ];
    const cells = diff ? [name, ...numbers] : [...numbers, name];
    const tr = el('tr', { attrs: { tabindex: '0', 'aria-selected': String(selected), 'data-name': row.name } }, cells);
    onActivate(tr, () => this.state.update({ fn: selected ? '' : row.name }, 'push'));
    return tr;
  }
}

function filterRows(rows: TopRow[], filter: string): TopRow[] {
  const pattern = userRegex(filter);
  if (!filter) return rows;
  if (!pattern) return rows.filter((r) => r.name.toLowerCase().includes(filter.toLowerCase()));
  return rows.filter((r) => pattern.test(r.name));
}

/** A plain table: pprof's order by flat (as it came), or by cum. */
function sortRows(rows: TopRow[], sort: SortKey): TopRow[] {
  if (sort !== 'cum') return rows;
  return [...rows].sort((a, b) => Math.abs(b.cum) - Math.abs(a.cum) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** As pprof: percentages stay relative to the whole profile; a refined view says how much of it is left. */
function shownTotal(table: TopTable, refined: boolean): string {
  const shown = table.rows.reduce((sum, row) => sum + row.flat, 0);
  if (!refined) return `${table.totalText} total`;
  return `${formatValue(shown, table.unit)} of ${table.totalText} (${formatPercent(shown, table.total)})`;
}

/** The refinements that leave samples out (tagshow, tagroot, ... only relabel what is kept). */
const SAMPLE_FILTER_KEYS: RefineKey[] = [...REGEX_REFINE_KEYS, 'tagfocus', 'tagignore'];

function isRefined(state: ViewState): boolean {
  return SAMPLE_FILTER_KEYS.some((key) => state.refine[key] !== '');
}
