import { ViewerProfile } from '../viewer-profile';
import { offlineAnswers, OfflineAnswersOptions } from './offline-answers';
import { offlineAssets } from './offline-assets';
import { offlineDocument } from './offline-document';

export type OfflineViewerOptions = OfflineAnswersOptions;

/**
 * The whole viewer in one HTML file that works offline from file://: the page, its call graph worker with
 * Graphviz's WebAssembly, and the API's answers for the unrefined views of every sample type. A view it does not
 * hold (a refinement, a zoom too deep for the flame graph it holds) says so in the page.
 */
export async function offlineViewerHtml(profile: ViewerProfile, options: OfflineViewerOptions = {}): Promise<string> {
  const assets = offlineAssets();
  return offlineDocument(assets, await offlineAnswers(profile, options));
}
