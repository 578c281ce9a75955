// Sets the viewer's page up to run from the offline file, before main.ts starts it (offline-main.ts).
import { OFFLINE_DATA_ID, OFFLINE_WORKER_ID, OfflineData } from '../../src/viewer/offline/offline-data';
import { byId, el } from './dom';
import { OfflineApi } from './offline-api';
import { serveDownloadsFromFile } from './offline-downloads';
import { answerFetchFromFile, startWorkersFromFile } from './offline-transport';

const data = JSON.parse(byId(OFFLINE_DATA_ID).textContent ?? '') as OfflineData;
const api = new OfflineApi(data);
answerFetchFromFile(api);
startWorkersFromFile(() => byId(OFFLINE_WORKER_ID).textContent ?? '');
serveDownloadsFromFile(api);
markOffline(data.writtenAt);

/** A file does not expire: in place of the countdown, when it was written. */
function markOffline(writtenAt: string): void {
  const expiry = byId('expiry');
  expiry.hidden = true;
  const when = new Date(writtenAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const title = `Written ${new Date(writtenAt).toLocaleString()} with every sample type's views without refinement; run with --serve for every view`;
  expiry.after(el('span', { className: 'badge', text: `Offline file · ${when}`, title, attrs: { id: 'offline-badge' } }));
}
