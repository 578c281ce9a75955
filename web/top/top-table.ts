import { api } from '../app/api-client';
import type { TopRow, TopTable } from '../app/api-types';
import { byId, el, measureWhenPainted, onActivate, userRegex } from '../app/dom';
import { formatPercent, formatValue } from '../app/format';
import { RefineKey, refineQuery, REGEX_REFINE_KEYS, SortKey, UrlState, ViewState } from '../app/url-state';

/** Rows drawn at once; the filter narrows the rest. A DOM row per function is fine at this size. */
const MAX_ROWS = 300;

/** pprof's top table: sortable by flat or cum, filterable; a click selects the function everywhere. */
export class TopTableView {
  private readonly body = byId('top-body');
  private readonly summary = byId('top-summary');
  private readonly filterInput = byId<HTMLInputElement>('top-filter');
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
    for (const button of document.querySelectorAll<HTMLButtonElement>('#top-table [data-sort]')) {
      button.addEventListener('click', () => state.update({ sort: button.dataset.sort as SortKey }));
    }
    state.subscribe((next, previous) => this.onState(next, previous));
    void this.load(state.current);
  }

  private onState(next: ViewState, previous: ViewState): void {
    if (document.activeElement !== this.filterInput) this.filterInput.value = next.filter;
    if (refineQuery(next).toString() !== refineQuery(previous).toString()) void this.load(next);
    else if (next.sort !== previous.sort || next.filter !== previous.filter || next.fn !== previous.fn) this.render(next);
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
    const rows = sortRows(filterRows(table.rows, state.filter), state.sort);
    let running = 0;
    const shown = rows.slice(0, MAX_ROWS).map((row) => {
      running += row.flat;
      return this.rowElement(row, formatPercent(running, table.total), row.name === state.fn);
    });
    if (rows.length > MAX_ROWS) {
      shown.push(el('tr', { className: 'more' }, [el('td', { text: `${rows.length - MAX_ROWS} more: filter to narrow`, attrs: { colspan: '5' } })]));
    }
    this.body.replaceChildren(...shown);
    for (const button of document.querySelectorAll<HTMLElement>('#top-table [data-sort]')) {
      button.setAttribute('aria-pressed', String(button.dataset.sort === state.sort));
    }
    const count = rows.length === table.rows.length ? `${rows.length} functions` : `${rows.length} of ${table.rows.length} functions`;
    this.summary.textContent = `${shownTotal(table, isRefined(state))} · ${count}`;
  }

  private rowElement(row: TopRow, sumPercent: string, selected: boolean): HTMLTableRowElement {
    const title = [row.name, row.file, row.inline ? 'inlined' : '', `sum% ${sumPercent}`].filter(Boolean).join('\n');
    const name = el('td', { className: row.inline ? 'fn inline' : 'fn', text: row.name, title });
    const tr = el('tr', { attrs: { tabindex: '0', 'aria-selected': String(selected) } }, [
      el('td', { className: 'num', text: row.flatText }),
      el('td', { className: 'num pct', text: row.flatPercent }),
      el('td', { className: 'num', text: row.cumText }),
      el('td', { className: 'num pct', text: row.cumPercent }),
      name,
    ]);
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

function sortRows(rows: TopRow[], sort: SortKey): TopRow[] {
  if (sort === 'flat') return rows;
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
