import { ParsedRequest } from '../parameters/request';
import { buildAnswer, RESULT, rfc3339, storageWarning, viewerUrl } from '../result/answer';
import { ServiceError } from '../errors';
import { describeCapture, PendingCapture } from '../viewer/pending-capture';
import { LiveViewer } from '../viewer/registry';
import { evictable, obtain, ProcessorDeps, viewerProfileOf } from './go-profiler';
import { newRecordId, recordOf, saveRecord } from './record-profile';
import { ProfileRecord } from '../storage/profile-record';
import { withoutGeneratedSuffix } from '../acquire/kube/service-name';

/**
 * async=true (kube-eagle's async mode, for CPU profiles longer than an Operation's timeout): the viewer opens at
 * once on a pending capture and the answer goes out; the capture runs on, and the viewer, the record and the
 * history follow it to the profile or the error. A stop lets running captures finish within the grace period,
 * then ends them, saying so.
 */
export class AsyncCaptures {
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();

  constructor(private readonly deps: ProcessorDeps) {}

  get size(): number {
    return this.running.size;
  }

  async start(request: ParsedRequest): Promise<Record<string, string>> {
    const { deps } = this;
    const slot = deps.viewers.reserve();
    const expectedSeconds = request.type === 'Profile' ? request.durationSeconds : 0;
    const pending = new PendingCapture({ expectedSeconds, what: describeCapture(request.type, request.durationSeconds) });
    const live = await deps.viewers.openPending(slot, pending, request.expirationSeconds);
    const id = newRecordId();
    // The name alone until the capture ends (no pod read before the answer): the ready record says what the labels say.
    const service = request.context.podName ? withoutGeneratedSuffix(request.context.podName) : 'profileUrl' in request ? request.profileUrl.hostname : 'unknown';
    const record = recordOf(id, request, live, undefined, { expectedAt: pending.expectedAt, service });
    const warnings = await saveRecord(deps.store, record);
    const abort = new AbortController();
    const done = this.capture(request, pending, live, record, abort.signal).finally(() => this.running.delete(id));
    this.running.set(id, { done, abort });
    deps.log.info({ outcome: 'accepted', type: request.type, viewer: live.id, profile: id, expectedAt: pending.expectedAt.toISOString() }, 'async capture started');
    const answer = buildAnswer({
      viewerUrl: viewerUrl(live.id, live.port, deps.config.advertiseAddress, deps.config.publicBaseUrl),
      expirationSeconds: request.expirationSeconds,
      expiresAt: live.expiresAt,
    });
    return {
      ...answer,
      [`${RESULT}profile_id`]: id,
      [`${RESULT}async`]: 'true',
      [`${RESULT}expected_at`]: rfc3339(pending.expectedAt),
      ...storageWarning(warnings),
    };
  }

  /** Waits for running captures until the deadline, then ends the rest (their viewers and records say why). */
  async stop(deadline: number): Promise<void> {
    const all = () => Promise.all([...this.running.values()].map((c) => c.done));
    const left = deadline - Date.now();
    if (left > 0) await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    for (const capture of this.running.values()) capture.abort.abort(new Error('the service stopped before the capture ended'));
    await all();
  }

  private async capture(request: ParsedRequest, pending: PendingCapture, live: LiveViewer, record: ProfileRecord, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const { id } = record;
    const timings: Record<string, number> = {};
    const started = performance.now();
    try {
      const profiled = await obtain(request, deps, timings, signal, () => pending.analyzing());
      signal.throwIfAborted();
      pending.ready(viewerProfileOf(request, profiled, deps.pool, deps.store));
      await saveRecord(deps.store, recordOf(id, request, live, profiled));
      if (evictable(deps)) deps.viewers.markReloadable(live.id);
      deps.metrics.countRequest('ok');
      deps.log.info({ outcome: 'ok', async: true, type: request.type, viewer: live.id, profile: id, totalMs: Math.round(performance.now() - started), ...timings }, 'async capture served');
    } catch (error) {
      const message = signal.aborted ? String((signal.reason as Error)?.message ?? signal.reason) : (error as Error).message;
      pending.failed(message);
      const status = error instanceof ServiceError ? error.status : 500;
      deps.metrics.countRequest(String(status));
      deps.log.warn({ outcome: 'error', async: true, status, error: message, viewer: live.id, profile: id, ...timings }, 'async capture failed');
      const failed: ProfileRecord = { ...record, status: 'failed', error: message };
      await saveRecord(deps.store, failed).catch((e: Error) => deps.log.warn({ error: e.message, profile: id }, 'saving a failed capture\'s record failed'));
    }
  }
}
