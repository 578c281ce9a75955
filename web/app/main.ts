// The viewer page: provenance header, refine bar, and the views, each a thin view over api/....
import { CallGraphView } from '../callgraph/callgraph-view';
import { FlameView } from '../flame/flame-view';
import { GoroutinesView } from '../goroutines/goroutines-view';
import { CompareView } from '../labels/compare-view';
import { LabelsView } from '../labels/labels-view';
import { bindTagRootControl } from '../labels/tag-root-control';
import { PeekView } from '../peek/peek-view';
import { renderProvenance, startExpiryClock } from '../provenance/provenance-view';
import { TopTableView } from '../top/top-table';
import { api } from './api-client';
import { waitForCapture } from './capture-progress';
import { byId } from './dom';
import { bindDownloads } from './downloads';
import { bindMenus } from './menus';
import { RefineBar } from './refine-bar';
import { UrlState } from './url-state';
import { bindViewTabs, showGoroutinesTab } from './view-tabs';

function showError(error: unknown): void {
  const banner = byId('error');
  banner.textContent = error instanceof Error ? error.message : String(error);
  banner.hidden = false;
}

async function start(): Promise<void> {
  // A capture still running (async=true): its progress first, the views once the profile is there.
  if (!(await waitForCapture())) return;
  const state = new UrlState();
  state.subscribe(() => (byId('error').hidden = true));
  let refineBar: RefineBar | undefined;
  const onError = (error: unknown) => {
    refineBar?.showError(error);
    showError(error);
  };
  bindViewTabs(state);
  bindMenus();
  // The flame graph starts fetching before api/profile answers: first paint waits on one round trip. The table
  // and the rest are laid out after it (or at once when another view is shown), so they do not hold it up.
  const flame = new FlameView(state, onError);
  if (state.current.view === 'flame') await Promise.race([flame.firstPaint, new Promise((resolve) => setTimeout(resolve, 2000))]);
  new TopTableView(state, onError);
  new PeekView(state, onError);
  const info = await api.profile();
  renderProvenance(info);
  startExpiryClock(info);
  refineBar = new RefineBar(state, info);
  showGoroutinesTab(info.type);
  bindDownloads(state, info);
  new CallGraphView(state, onError);
  new GoroutinesView(state, onError);
  new LabelsView(state, onError);
  new CompareView(state, onError);
  bindTagRootControl(state).catch(onError);
}

start().catch(showError);
