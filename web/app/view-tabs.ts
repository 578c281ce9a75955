import { byId } from './dom';
import { UrlState, View, ViewState } from './url-state';

const PANELS: Record<View, string> = { flame: 'flame-panel', graph: 'graph-panel', goroutines: 'goroutines-panel' };

/** One page, three main views; the tab row switches which one fills the main area. */
export function bindViewTabs(state: UrlState): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-view]')) {
    tab.addEventListener('click', () => state.update({ view: tab.dataset.view as View }, 'push'));
  }
  const show = (s: ViewState) => {
    for (const [name, panel] of Object.entries(PANELS)) byId(panel).hidden = name !== s.view;
    for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-view]')) tab.setAttribute('aria-selected', String(tab.dataset.view === s.view));
  };
  state.subscribe(show);
  show(state.current);
}

/** The goroutine view only means something for a Goroutine profile. */
export function showGoroutinesTab(profileType: string): void {
  byId('tab-goroutines').hidden = profileType.toLowerCase() !== 'goroutine';
}
