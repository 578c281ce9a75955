import { NotFoundError } from '../errors';
import { profileTypeFromName } from '../parameters/profile-types';
import { ProfileRecord } from '../storage/profile-record';
import { ProfileStore } from '../storage/profile-store';
import { ViewerProfile } from '../viewer/viewer-profile';
import { AnalyzePool } from '../workers/analyze-pool';
import { contextOf } from './record-profile';

/** What it takes to open a stored profile again. */
export interface StoredViewerDeps {
  store: ProfileStore;
  pool: AnalyzePool;
  maxProfileBytes: number;
}

/**
 * A stored profile as a viewer serves it, from its record: the shown file (the diff, when it is one) read from
 * the store and analysed in a worker, its goroutine dumps beside it. Any replica, or this one after a restart,
 * opens it the same way.
 */
export async function viewerProfileFromRecord(record: ProfileRecord, deps: StoredViewerDeps): Promise<ViewerProfile> {
  const { store } = deps;
  const shownKey = record.files.diff ?? record.files.profile;
  const type = profileTypeFromName(record.type);
  if (record.status !== 'ready' || !shownKey || !type) throw new NotFoundError(`profile ${record.id} has no stored profile (${record.status}${record.error ? `: ${record.error}` : ''})`);
  const read = (key: string) => store.read(key);
  const bytes = await read(shownKey);
  if (!bytes) throw new NotFoundError(`the profile of ${record.id} is no longer kept (DATA_RETENTION_SECONDS)`);
  const [analysis, dump, baseDump] = await Promise.all([
    deps.pool.analyze(bytes, { maxBytes: deps.maxProfileBytes }),
    record.files.goroutineDump ? read(record.files.goroutineDump) : undefined,
    record.files.baseGoroutineDump ? read(record.files.baseGoroutineDump) : undefined,
  ]);
  const shownPath = store.bucket.locate(shownKey);
  return {
    type,
    analysis,
    downloadName: shownPath.split('/').pop() as string,
    source: record.source,
    context: contextOf(record),
    fetchedAt: new Date(record.fetchedAt),
    profilePath: shownPath,
    readBytes: () => read(shownKey),
    goroutineDump: dump?.toString('utf8'),
    diff: record.diff,
    baseGoroutineDump: baseDump?.toString('utf8'),
    reports: deps.pool,
  };
}
