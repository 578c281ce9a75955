import { fetchGoroutineDump } from '../acquire/goroutine-dump';
import { serviceNameOf } from '../acquire/kube/service-name';
import { InputError, ProfileError, UpstreamError } from '../errors';
import { DiffBase } from '../parameters/diff-base';
import { ProfileType } from '../parameters/profile-types';
import { podOf } from '../parameters/request-context';
import { KEYS } from '../parameters/schema';
import { IncompatibleProfilesError } from '../profile/merge/combine-headers';
import { Analysis } from '../report/analyze';
import type { CaptureInfo } from '../viewer/profile-info';
import { acquireGated, checkIsProfile } from './acquire-one';
import type { ProcessorDeps } from './go-profiler';

/** The profile a capture is compared with, and where it came from. */
export interface BaseCapture {
  bytes: Uint8Array;
  /** How a merge error names it. */
  name: string;
  /** A stored base is the caller's choice (its mismatch a 400); a fetched one is what a program served (a 500). */
  stored: boolean;
  info: CaptureInfo;
  goroutineDump?: string;
  /** Where its goroutine dump is kept, when it is. */
  goroutineDumpKey?: string;
}

/**
 * Reads a stored base (only a profile this store saved, by its path or history id: ProfileStore.readStored) or fetches one as the request's
 * own source would be fetched; a fetched base is stored like any capture, so it outlives its pod too.
 */
export async function acquireBase(diff: DiffBase, type: ProfileType, deps: ProcessorDeps, signal?: AbortSignal): Promise<BaseCapture> {
  if (diff.kind === 'stored') {
    const stored = await deps.store.readStored(diff.path, deps.config.maxProfileBytes, KEYS.diffBase);
    if (stored.type && stored.type !== type) {
      const why = `is a ${stored.type} profile, and this request is for ${type}: a diff compares two profiles of one type`;
      throw new InputError(`${KEYS.diffBase} ${why}`, [{ key: KEYS.diffBase, message: why }]);
    }
    return {
      bytes: stored.bytes,
      name: `the base ${stored.path}`,
      stored: true,
      goroutineDump: stored.goroutineDump,
      goroutineDumpKey: stored.goroutineDumpKey,
      info: { source: `stored profile ${stored.path}`, fetchedAt: stored.savedAt.toISOString(), profilePath: stored.path, pod: stored.pod },
    };
  }
  const { request } = diff;
  const fetched = await naming(() => acquireGated(request, deps, signal).then(checkIsProfile));
  const goroutineDump = request.collector.kind === 'job' ? undefined : await fetchGoroutineDump(request, (r) => acquireGated(r, deps, signal));
  signal?.throwIfAborted();
  const fetchedAt = new Date();
  const service = await serviceNameOf(deps.kube, request.context, fetched.url.hostname);
  const saved = await deps.store.save(fetched.bytes, type, request.context, fetchedAt, service);
  if (goroutineDump !== undefined) await deps.store.saveGoroutineDump(saved, goroutineDump);
  const source = `${fetched.url.origin}${fetched.url.pathname}`;
  const info = { source, fetchedAt: fetchedAt.toISOString(), profilePath: saved.path, pod: podOf(request.context) };
  return { bytes: fetched.bytes, name: `the base ${source}`, stored: false, goroutineDump, goroutineDumpKey: saved.files.goroutineDump, info };
}

/**
 * pprof's -diff_base in a worker: the capture minus the base, decoded. A base of other sample types is a 400 when
 * it was stored (the caller chose it), a 500 when it was fetched (the program served it).
 */
export async function diffWithBase(
  capture: { bytes: Uint8Array; source: string },
  base: BaseCapture,
  normalize: boolean,
  deps: ProcessorDeps,
  signal?: AbortSignal,
): Promise<{ merged: Uint8Array; analysis: Analysis }> {
  const fresh = { name: `the new capture (${capture.source})`, bytes: capture.bytes, labels: {} };
  try {
    return await deps.pool.diffAndAnalyze(fresh, { name: base.name, bytes: base.bytes, labels: {} }, { maxBytes: deps.config.maxProfileBytes, normalize }, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    const message = (error as Error).message.replace(/^merging profiles: /, '');
    if (error instanceof IncompatibleProfilesError) {
      if (base.stored) throw new InputError(`${KEYS.diffBase}: ${message}`, [{ key: KEYS.diffBase, message }]);
      throw new ProfileError(`${KEYS.diffBaseSource}: ${message}`);
    }
    throw new ProfileError(`comparing profiles: ${message}`);
  }
}

/** A failure to fetch the base says so: the capture itself may have worked. */
async function naming<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof UpstreamError) throw new UpstreamError(`${KEYS.diffBaseSource}: ${error.message}`, error.details);
    if (error instanceof ProfileError) throw new ProfileError(`${KEYS.diffBaseSource}: ${error.message}`, error.details);
    throw error;
  }
}
