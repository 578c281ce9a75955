// The history's view lives in the page's query, with GET /profiles' own keys, so a copied link shows the same list:
// the page asks the API with the query it was opened with.
import type { RecordFilter } from '../../src/storage/profile-record';

export const FILTER_KEYS = ['namespace', 'pod', 'diagnosis', 'type', 'since', 'until'] as const satisfies ReadonlyArray<keyof RecordFilter>;
export type FilterKey = (typeof FILTER_KEYS)[number];
/** Every key the page keeps: the filters, the page size and the cursor of the page shown. */
const PAGE_KEYS = [...FILTER_KEYS, 'limit', 'cursor'] as const;
type PageKey = (typeof PAGE_KEYS)[number];

export type HistoryView = Partial<Record<PageKey, string>>;

/** The view in a query string; keys the API does not take are left out, empty values too. */
export function parseView(search: string): HistoryView {
  const query = new URLSearchParams(search);
  const view: HistoryView = {};
  for (const key of PAGE_KEYS) {
    const value = query.get(key);
    if (value !== null && value !== '') view[key] = value;
  }
  return view;
}

/** The view as a query, in a fixed order (the same view, the same link). */
export function viewQuery(view: HistoryView): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of PAGE_KEYS) if (view[key]) query.set(key, view[key]);
  return query;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A time as a datetime-local input holds it: the browser's local time, to the second. */
export function toLocalInput(iso: string | undefined): string {
  const at = iso ? new Date(iso) : undefined;
  if (!at || Number.isNaN(at.getTime())) return '';
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** A datetime-local input's value (local time) as the API's ISO 8601 time in UTC; undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString().replace('.000Z', 'Z');
}

/** A time for the table: local, to the second, as the inputs show it. */
export function localTime(iso: string | undefined): string {
  return toLocalInput(iso).replace('T', ' ');
}
