// The history page (GET /profiles in a browser): filters in the query, a table of stored profiles newest first, and
// pages by the API's cursor. A thin view over GET /profiles.
import { byId, el } from '../app/dom';
import { PROFILE_TYPES } from '../../src/parameters/profile-types';
import { listProfiles } from './history-api';
import { renderRows } from './history-table';
import { FILTER_KEYS, FilterKey, fromLocalInput, HistoryView, parseView, toLocalInput, viewQuery } from './history-query';

const TIME_KEYS: readonly FilterKey[] = ['since', 'until'];
const input = (key: FilterKey) => byId<HTMLInputElement | HTMLSelectElement>(`filter-${key}`);

let view: HistoryView = parseView(location.search);
let next: string | undefined;
let loading = 0;

function fillForm(): void {
  for (const key of FILTER_KEYS) input(key).value = TIME_KEYS.includes(key) ? toLocalInput(view[key]) : (view[key] ?? '');
  // A type the URL names in another letter case still selects its option.
  const type = PROFILE_TYPES.find((t) => t.toLowerCase() === view.type?.toLowerCase());
  if (type) input('type').value = type;
}

/** The filters as typed; the page size stays, the cursor goes (a new filter starts at the newest). */
function readForm(): HistoryView {
  const read: HistoryView = { limit: view.limit };
  for (const key of FILTER_KEYS) {
    const value = input(key).value.trim();
    read[key] = TIME_KEYS.includes(key) ? fromLocalInput(value) : value || undefined;
  }
  return read;
}

function navigate(to: HistoryView): void {
  view = to;
  const search = viewQuery(view).toString();
  history.pushState(null, '', search ? `?${search}` : location.pathname);
  void load();
}

async function load(): Promise<void> {
  const ticket = ++loading;
  const error = byId('history-error');
  const table = byId('history-table');
  table.setAttribute('aria-busy', 'true');
  try {
    const page = await listProfiles(viewQuery(view));
    if (ticket !== loading) return; // a newer filter's answer is on its way
    error.hidden = true;
    next = page.next;
    renderRows(byId<HTMLTableSectionElement>('history-body'), page.profiles);
    showSummary(page.profiles.length);
  } catch (failure) {
    if (ticket !== loading) return;
    error.textContent = failure instanceof Error ? failure.message : String(failure);
    error.hidden = false;
    next = undefined;
    byId('history-body').replaceChildren();
    showSummary(0);
  } finally {
    if (ticket === loading) table.removeAttribute('aria-busy');
  }
}

function showSummary(count: number): void {
  const filtered = FILTER_KEYS.some((key) => view[key]);
  byId('history-summary').textContent = `${count} ${count === 1 ? 'profile' : 'profiles'}${view.cursor ? ' on this page' : ''}${next ? ', more on the next page' : ''}`;
  const empty = byId('history-empty');
  empty.textContent = filtered ? 'No stored profile matches these filters.' : 'No profile has been stored yet.';
  empty.hidden = count > 0 || !byId('history-error').hidden;
  byId('history-next').hidden = !next;
  byId('history-first').hidden = !view.cursor;
}

function start(): void {
  const type = input('type');
  for (const name of PROFILE_TYPES) type.append(el('option', { text: name, attrs: { value: name } }));
  fillForm();
  byId('history-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(readForm());
  });
  type.addEventListener('change', () => navigate(readForm()));
  byId('filter-clear').addEventListener('click', () => navigate({ limit: view.limit }));
  byId('history-next').addEventListener('click', () => next && navigate({ ...view, cursor: next }));
  byId('history-first').addEventListener('click', () => navigate({ ...view, cursor: undefined }));
  // Back and forward walk the filters and pages as a person went through them.
  window.addEventListener('popstate', () => {
    view = parseView(location.search);
    fillForm();
    void load();
  });
  void load();
}

start();
