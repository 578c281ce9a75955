import { profileTypeFromName } from '../parameters/profile-types';
import { ProfileRecord } from '../storage/profile-record';
import { describeCapture, PendingCapture } from '../viewer/pending-capture';
import { ViewerLoader } from '../viewer/registry';
import { StoredViewerDeps, viewerProfileFromRecord } from './stored-viewer';

/** How often a replica that does not run a capture asks the store whether it has ended. */
const PENDING_POLL_MS = 2000;

/**
 * How any replica opens a viewer it does not hold: the viewer's entry names its record and expiry, the record its
 * profile (stored-viewer.ts). A capture still running elsewhere opens as pending here and follows its record to
 * the profile or the error. Unknown or expired: undefined, and /viewer/<id>/ says so.
 */
export function storedViewerLoader(deps: StoredViewerDeps): ViewerLoader {
  return async (id) => {
    const entry = await deps.store.getViewer(id);
    if (!entry || Date.parse(entry.expiresAt) <= Date.now()) return undefined;
    const record = await deps.store.getRecord(entry.recordId);
    if (!record) return undefined;
    const expiresAt = new Date(entry.expiresAt);
    if (record.status === 'ready') return { profile: await viewerProfileFromRecord(record, deps), expiresAt };
    return { profile: followRecord(record, deps, expiresAt), expiresAt };
  };
}

/** A pending (or failed) record as the viewer's capture, settled when the record is, polled until the expiry. */
function followRecord(record: ProfileRecord, deps: StoredViewerDeps, expiresAt: Date): PendingCapture {
  const startedAt = new Date(record.fetchedAt);
  const expectedSeconds = record.expectedAt ? (Date.parse(record.expectedAt) - startedAt.getTime()) / 1000 : 0;
  const type = profileTypeFromName(record.type);
  const pending = new PendingCapture({ startedAt, expectedSeconds, what: type ? describeCapture(type, Math.round(expectedSeconds)) : undefined });
  if (record.status === 'failed') {
    pending.failed(record.error ?? 'the capture failed');
    return pending;
  }
  const poll = async () => {
    if (Date.now() >= expiresAt.getTime()) return pending.failed('the viewer expired before the capture ended');
    const now = await deps.store.getRecord(record.id).catch(() => undefined);
    if (now?.status === 'ready') {
      pending.analyzing();
      return viewerProfileFromRecord(now, deps).then(
        (profile) => pending.ready(profile),
        (error: Error) => pending.failed(error.message),
      );
    }
    if (now?.status === 'failed') return pending.failed(now.error ?? 'the capture failed');
    setTimeout(() => void poll(), PENDING_POLL_MS).unref();
  };
  setTimeout(() => void poll(), PENDING_POLL_MS).unref();
  return pending;
}
