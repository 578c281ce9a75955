import { ProfileType } from '../parameters/profile-types';
import { buildAnswer, RESULT, storageWarning, viewerUrl } from '../result/answer';
import { ProfileRecord } from '../storage/profile-record';
import { viewerProfileFromRecord } from '../processor/stored-viewer';
import { evictable, ProcessorDeps, summaryOf } from '../processor/go-profiler';

/**
 * A fresh expiring viewer on a stored profile (POST /profiles/<id>/viewer), answered as the processor answers:
 * KubeDiag's sentence, the viewer's address and path, the summary. Its entry is saved, so any replica serves it.
 */
export async function openFromHistory(record: ProfileRecord, expirationSeconds: number, deps: ProcessorDeps): Promise<Record<string, string>> {
  const { config } = deps;
  const slot = deps.viewers.reserve();
  try {
    const profile = await viewerProfileFromRecord(record, { store: deps.store, pool: deps.pool, maxProfileBytes: config.maxProfileBytes });
    const live = await deps.viewers.open(slot, profile, expirationSeconds);
    const warning = await deps.store.putViewer({ viewerId: live.id, recordId: record.id, expiresAt: live.expiresAt.toISOString() });
    if (evictable(deps)) deps.viewers.markReloadable(live.id);
    deps.log.info({ viewer: live.id, port: live.port, profile: record.id }, 'viewer opened from the history');
    return {
      ...buildAnswer({
        viewerUrl: viewerUrl(live.id, live.port, config.advertiseAddress, config.publicBaseUrl),
        expirationSeconds,
        expiresAt: live.expiresAt,
        profilePath: record.profilePath ?? '',
        summary: await summaryOf(record.type as ProfileType, profile.analysis, record.diff !== undefined, deps.pool),
      }),
      [`${RESULT}viewer_path`]: `/viewer/${live.id}/`,
      [`${RESULT}profile_id`]: record.id,
      ...storageWarning([warning]),
    };
  } finally {
    slot.release();
  }
}
