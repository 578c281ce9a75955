import { api } from '../app/api-client';
import { byId, el } from '../app/dom';
import { UrlState, ViewState } from '../app/url-state';

/**
 * The flame graph's "Root by" menu: a label key as the root frames (pprof's tagroot), one tower per value. Its keys
 * are the profile's own, from api/labels; a tagroot typed into the refine bar that names another list stays as
 * typed and shows as its own entry.
 */
export async function bindTagRootControl(state: UrlState): Promise<void> {
  const control = byId('flame-tagroot-control');
  const select = byId<HTMLSelectElement>('flame-tagroot');
  const keys = (await api.labels(new URLSearchParams())).keys.map((k) => k.key);
  if (keys.length === 0) return;
  control.hidden = false;
  const sync = (s: ViewState) => {
    const current = s.refine.tagroot;
    const options = ['', ...keys, ...(current && !keys.includes(current) ? [current] : [])];
    select.replaceChildren(...options.map((key) => el('option', { text: key || 'none', attrs: { value: key } })));
    select.value = current;
  };
  select.addEventListener('change', () => state.updateRefine({ tagroot: select.value }));
  state.subscribe((next, previous) => {
    if (next.refine.tagroot !== previous.refine.tagroot) sync(next);
  });
  sync(state.current);
}
