// The whole view lives in the URL's query, so a copied link reproduces what a person sees.

/** pprof's label options, with pprof's names: samples by label (tagfocus, tagignore), labels shown, labels as frames. */
export const TAG_REFINE_KEYS = ['tagfocus', 'tagignore', 'tagshow', 'taghide', 'tagroot', 'tagleaf'] as const;
export const REFINE_KEYS = ['sample', 'granularity', 'focus', 'ignore', 'hide', 'show', 'show_from', ...TAG_REFINE_KEYS] as const;
export type RefineKey = (typeof REFINE_KEYS)[number];
/** The refine keys that take a regex (pprof's -focus, -ignore, ...). */
export const REGEX_REFINE_KEYS = ['focus', 'ignore', 'hide', 'show', 'show_from'] as const;
/** The refine keys typed into the refine bar: every one but the sample type and granularity menus. */
export const TEXT_REFINE_KEYS = [...REGEX_REFINE_KEYS, ...TAG_REFINE_KEYS] as const;

export type View = 'flame' | 'graph' | 'goroutines' | 'labels';
const VIEWS: readonly View[] = ['flame', 'graph', 'goroutines', 'labels'];
/** The top table's columns; a diff's table has each side's flat and cum and their change too. */
export const SORT_KEYS = ['flat', 'cum', 'newFlat', 'baseFlat', 'flatChange', 'newCum', 'baseCum', 'cumChange', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ViewState {
  view: View;
  refine: Record<RefineKey, string>;
  /** Flame graph search regex. */
  search: string;
  inverted: boolean;
  /** Names from the root to the zoomed frame. */
  zoom: string[];
  /** The selected function (top table row, peek). */
  fn: string;
  sort: SortKey;
  /** The sort's column clicked again: the other way round (`sort=-flat` in the URL). */
  sortReverse: boolean;
  /** Top table filter. */
  filter: string;
  /** A second tagfocus, shown side by side with the first (only while tagfocus is set). */
  compare: string;
}

/** Frames in `zoom=` are joined like folded stacks. */
const ZOOM_SEPARATOR = ';';

export function parseState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const view = q.get('view');
  const refine = Object.fromEntries(REFINE_KEYS.map((k) => [k, q.get(k) ?? ''])) as Record<RefineKey, string>;
  return {
    view: VIEWS.includes(view as View) ? (view as View) : 'flame',
    refine,
    search: q.get('search') ?? '',
    inverted: q.get('inverted') === '1',
    zoom: q.get('zoom')?.split(ZOOM_SEPARATOR).filter(Boolean) ?? [],
    fn: q.get('fn') ?? '',
    ...parseSort(q.get('sort') ?? ''),
    filter: q.get('filter') ?? '',
    compare: q.get('compare') ?? '',
  };
}

function parseSort(text: string): { sort: SortKey; sortReverse: boolean } {
  const sortReverse = text.startsWith('-');
  const key = sortReverse ? text.slice(1) : text;
  return SORT_KEYS.includes(key as SortKey) ? { sort: key as SortKey, sortReverse } : { sort: 'flat', sortReverse: false };
}

/** Only what differs from the defaults, so links stay short. */
export function serializeState(state: ViewState): string {
  const q = new URLSearchParams();
  if (state.view !== 'flame') q.set('view', state.view);
  for (const key of REFINE_KEYS) if (state.refine[key]) q.set(key, state.refine[key]);
  if (state.search) q.set('search', state.search);
  if (state.inverted) q.set('inverted', '1');
  if (state.zoom.length) q.set('zoom', state.zoom.join(ZOOM_SEPARATOR));
  if (state.fn) q.set('fn', state.fn);
  if (state.sort !== 'flat' || state.sortReverse) q.set('sort', `${state.sortReverse ? '-' : ''}${state.sort}`);
  if (state.filter) q.set('filter', state.filter);
  if (isComparing(state)) q.set('compare', state.compare);
  return q.toString();
}

/** Two tagfocus values side by side: the state's own and `compare`. */
export function isComparing(state: ViewState): boolean {
  return state.compare !== '' && state.refine.tagfocus !== '';
}

/** The refine part as the API takes it. */
export function refineQuery(state: ViewState): URLSearchParams {
  const q = new URLSearchParams();
  for (const key of REFINE_KEYS) if (state.refine[key]) q.set(key, state.refine[key]);
  return q;
}

export function sameRefine(a: ViewState, b: ViewState): boolean {
  return REFINE_KEYS.every((k) => a.refine[k] === b.refine[k]);
}

type Listener = (state: ViewState, previous: ViewState) => void;

/** The page's one source of truth; `push` makes a history entry so Back undoes a zoom or a view switch. */
export class UrlState {
  private state = parseState(location.search);
  private readonly listeners: Listener[] = [];

  constructor() {
    window.addEventListener('popstate', () => this.apply(parseState(location.search)));
  }

  get current(): ViewState {
    return this.state;
  }

  update(change: Partial<ViewState>, mode: 'push' | 'replace' = 'replace'): void {
    const next = { ...this.state, ...change };
    if (!next.refine.tagfocus) next.compare = '';
    const search = serializeState(next);
    const url = `${location.pathname}${search ? `?${search}` : ''}`;
    if (mode === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    this.apply(next);
  }

  updateRefine(change: Partial<Record<RefineKey, string>>): void {
    // A refined tree has other frames: an old zoom path may no longer exist.
    this.update({ refine: { ...this.state.refine, ...change }, zoom: [] }, 'push');
  }

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  private apply(next: ViewState): void {
    const previous = this.state;
    this.state = next;
    for (const listener of this.listeners) listener(next, previous);
  }
}
