import { byId } from './dom';
import { isComparing, UrlState, View, ViewState } from './url-state';

const PANELS: Record<View, string> = { flame: 'flame-panel', graph: 'graph-panel', goroutines: 'goroutines-panel', labels: 'labels-panel' };

/** One page, four main views; the tab row switches which one fills the main area. Comparing fills all of it. */
export function bindViewTabs(state: UrlState): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-view]')) {
    tab.addEventListener('click', () => state.update({ view: tab.dataset.view as View, compare: '' }, 'push'));
  }
  const show = (s: ViewState) => {
    const comparing = isComparing(s);
    for (const [name, panel] of Object.entries(PANELS)) byId(panel).hidden = comparing || name !== s.view;
    byId('compare-panel').hidden = !comparing;
    byId('side').hidden = comparing;
    document.querySelector('main')?.classList.toggle('comparing', comparing);
    for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-view]')) tab.setAttribute('aria-selected', String(tab.dataset.view === s.view));
  };
  state.subscribe(show);
  show(state.current);
}

/** The goroutine view only means something for a Goroutine profile. */
export function showGoroutinesTab(profileType: string): void {
  byId('tab-goroutines').hidden = profileType.toLowerCase() !== 'goroutine';
}
