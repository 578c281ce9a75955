import { fetchGoroutineDump } from '../acquire/goroutine-dump';
import { AddressPolicy } from '../acquire/address-policy';
import { FetchGate, SourceLocks } from '../acquire/fetch-gate';
import { describeBody } from '../acquire/fetch-profile';
import type { JobCollector } from '../acquire/job/job-collector';
import { KubeProvider } from '../acquire/kube/clients';
import { Config } from '../config';
import { InputError, ProfileError, ServiceError } from '../errors';
import { KEYS } from '../parameters/schema';
import { Metrics } from '../http/metrics';
import { Logger } from '../log';
import { ProfileRequest } from '../parameters/parse';
import { GroupRequest } from '../parameters/parse-group';
import { isGroup, ParsedRequest, parseProfilerRequest } from '../parameters/request';
import { podOf } from '../parameters/request-context';
import { describeGroup } from '../parameters/targets';
import { Analysis } from '../report/analyze';
import { summarize } from '../report/summary';
import { buildAnswer, RESULT, storageWarning, viewerUrl } from '../result/answer';
import { ProfileStore, SavedProfile } from '../storage/profile-store';
import type { ProfileType } from '../parameters/profile-types';
import { serviceNameOf } from '../acquire/kube/service-name';
import { ViewerRegistry } from '../viewer/registry';
import { AnalyzePool } from '../workers/analyze-pool';
import type { DiffInfo } from '../viewer/profile-info';
import type { ViewerProfile } from '../viewer/viewer-profile';
import type { ReportRunner } from '../report/jobs';
import type { AsyncCaptures } from './async-capture';
import type { AcquiredProfile } from '../acquire/acquire-profile';
import { InflateStream } from '../profile/inflate-stream';
import { acquireGated, checkIsProfile } from './acquire-one';
import { acquireBase, diffWithBase } from './diff-base';
import { profileGroup } from './profile-group';
import { newRecordId, recordOf, saveRecord } from './record-profile';

export interface ProcessorDeps {
  config: Config;
  kube: KubeProvider;
  pool: AnalyzePool;
  store: ProfileStore;
  viewers: ViewerRegistry;
  metrics: Metrics;
  log: Logger;
  policy: AddressPolicy;
  fetchGate: FetchGate;
  cpuLocks: SourceLocks;
  /** The node Job collector; without it, collector=job is refused. */
  jobs?: JobCollector;
  /** async=true captures; without it, async is refused. */
  asyncCaptures?: AsyncCaptures;
}

/** A profile obtained, analysed and stored: what the viewer and the answer are made of. */
export interface Profiled {
  analysis: Analysis;
  /** result.profile_path: saved.path. */
  profilePath: string;
  saved: SavedProfile;
  /** The workload it belongs to: the key's <service> (acquire/kube/service-name.ts). */
  service: string;
  fetchedAt: Date;
  /** What the viewer's header says it came from. */
  source: string;
  goroutineDump?: string;
  /** Keys the answer adds (a group's targets). */
  extraAnswer?: Record<string, string>;
  /** What the summary adds (a group's per-target totals). */
  extraSummary?: Record<string, unknown>;
  /** The bytes stored at profilePath (as fetched, or the group's merge). */
  bytes: Uint8Array;
  /** In a diff: the file the viewer shows and downloads (the diff), where profilePath is the capture. */
  shownPath?: string;
  diff?: { info: DiffInfo; baseGoroutineDump?: string; baseGoroutineDumpKey?: string };
}

/**
 * request body -> parameters -> profile bytes -> analysis -> stored file -> viewer -> answer. signal: the caller
 * hung up; then the fetch stops, a decode's result is dropped, nothing is stored and no viewer opens.
 */
export async function runGoProfiler(body: unknown, deps: ProcessorDeps, signal?: AbortSignal): Promise<Record<string, string>> {
  const { config, log, metrics } = deps;
  const started = performance.now();
  const timings: Record<string, number> = {};
  let request: ParsedRequest | undefined;
  try {
    request = parseProfilerRequest(body, config);
    if (request.async) {
      if (!deps.asyncCaptures) throw new InputError(`${KEYS.async}: this front does not capture asynchronously`, [{ key: KEYS.async, message: 'not available here' }]);
      return await deps.asyncCaptures.start(request);
    }
    const slot = deps.viewers.reserve();
    try {
      const profiled = await obtain(request, deps, timings, signal);
      signal?.throwIfAborted();
      const live = await deps.viewers.open(slot, viewerProfileOf(request, profiled, deps.pool, deps.store), request.expirationSeconds);
      // The record and the viewer's entry: the history lists it, and any replica can open the viewer again.
      const record = recordOf(newRecordId(), request, live, profiled);
      const warnings = [...profiled.saved.warnings, ...(await saveRecord(deps.store, record))];
      if (evictable(deps)) deps.viewers.markReloadable(live.id);
      const answer = buildAnswer({
        viewerUrl: viewerUrl(live.id, live.port, config.advertiseAddress, config.publicBaseUrl),
        expirationSeconds: request.expirationSeconds,
        expiresAt: live.expiresAt,
        profilePath: profiled.profilePath,
        summary: { ...(await summaryOf(request.type, profiled.analysis, profiled.diff !== undefined, deps.pool)), ...profiled.extraSummary },
      });
      timings.totalMs = Math.round(performance.now() - started);
      metrics.countRequest('ok');
      log.info({ outcome: 'ok', ...describe(request), viewer: live.id, port: live.port, profile: record.id, ...timings }, 'profile served');
      return { ...answer, [`${RESULT}profile_id`]: record.id, ...storageWarning(warnings), ...profiled.extraAnswer };
    } finally {
      slot.release();
    }
  } catch (error) {
    timings.totalMs = Math.round(performance.now() - started);
    if (signal?.aborted) {
      metrics.countRequest('cancelled');
      log.info({ outcome: 'cancelled', ...(request ? describe(request) : {}), ...timings }, 'request cancelled: the caller hung up');
      throw signal.reason;
    }
    const status = error instanceof ServiceError ? error.status : 500;
    metrics.countRequest(String(status));
    const message = (error as Error).message;
    log.warn({ outcome: 'error', status, error: message, ...(request ? describe(request) : {}), ...timings }, 'request failed');
    throw error;
  }
}

/** What a viewer serves of a profile obtained: the shown file is the diff when there is one. */
export function viewerProfileOf(request: ParsedRequest, profiled: Profiled, reports: ReportRunner, store: ProfileStore): ViewerProfile {
  const shown = profiled.shownPath ?? profiled.profilePath;
  const shownKey = store.keyOf(shown);
  return {
    type: request.type,
    analysis: profiled.analysis,
    downloadName: shown.split('/').pop() as string,
    source: profiled.source,
    context: request.context,
    fetchedAt: profiled.fetchedAt,
    profilePath: shown,
    readBytes: async () => (shownKey === undefined ? undefined : store.read(shownKey)),
    goroutineDump: profiled.goroutineDump,
    diff: profiled.diff?.info,
    baseGoroutineDump: profiled.diff?.baseGoroutineDump,
    reports,
  };
}

/**
 * One target or many, compared with a base when the request names one: the profile analysed and stored, what a
 * viewer and an answer are made of (the service's and the kubectl plugin's core).
 */
export async function obtain(request: ParsedRequest, deps: ProcessorDeps, timings: Record<string, number>, signal?: AbortSignal, fetched?: () => void): Promise<Profiled> {
  const { diff } = request;
  if (!diff) return isGroup(request) ? profileGroup(request, deps, timings, signal, fetched) : profileOne(request, deps, timings, signal, true, fetched);
  // The base is read or fetched while the capture is taken: "now against the canary" covers the same window.
  const basePromise = acquireBase(diff, request.type, deps, signal);
  basePromise.catch(() => undefined); // awaited below; a failing capture must not leave it unhandled
  const captured = isGroup(request) ? await profileGroup(request, deps, timings, signal, fetched) : await profileOne(request, deps, timings, signal, false, fetched);
  const base = await basePromise;
  const t = performance.now();
  const { merged, analysis } = await diffWithBase(captured, base, diff.normalize, deps, signal);
  timings.diffMs = Math.round(performance.now() - t);
  signal?.throwIfAborted();
  const shownPath = await deps.store.saveDiff(captured.saved, merged);
  const fresh = { source: captured.source, fetchedAt: captured.fetchedAt.toISOString(), profilePath: captured.profilePath, pod: podOf(request.context) };
  return {
    ...captured,
    analysis,
    shownPath,
    diff: { info: { base: base.info, new: fresh, normalized: diff.normalize }, baseGoroutineDump: base.goroutineDump, baseGoroutineDumpKey: base.goroutineDumpKey },
    extraAnswer: { ...captured.extraAnswer, [`${RESULT}diff_path`]: shownPath },
    extraSummary: { ...captured.extraSummary, diff: { base: base.info.profilePath, base_source: base.info.source, normalized: diff.normalize } },
  };
}

/**
 * One target: fetch (with the goroutine dump beside a Goroutine profile), decode in a worker (not when it is only
 * to be compared: the diff decodes it), store.
 */
async function profileOne(request: ProfileRequest, deps: ProcessorDeps, timings: Record<string, number>, signal?: AbortSignal, decode = true, onFetched?: () => void): Promise<Profiled> {
  const { metrics } = deps;
  let t = performance.now();
  const inflating = decode ? new InflateStream(deps.config.maxProfileBytes) : undefined;
  const fetched = await acquireGated(request, deps, signal, inflating && ((chunk) => inflating.push(chunk)))
    .then(checkIsProfile)
    .catch((error: unknown) => {
      inflating?.cancel();
      throw error;
    });
  signal?.throwIfAborted();
  timings.fetchMs = Math.round(performance.now() - t);
  metrics.fetchSeconds.observe(timings.fetchMs / 1000);
  metrics.countBytes(fetched.bytes.length);
  onFetched?.();

  t = performance.now();
  const decoding = decode ? decodeFetched(fetched, inflating, deps, signal) : undefined;
  decoding?.catch(() => undefined); // awaited below, once the dump is in
  // Read while the profile decodes: the pod's labels name the service its key is filed under; and the goroutine
  // dump (a node Job would run a second time for it; the other collectors fetch it the way the profile came).
  const service = serviceNameOf(deps.kube, request.context, fetched.url.hostname);
  const goroutineDump = request.collector.kind === 'job' ? undefined : await fetchGoroutineDump(request, (r) => acquireGated(r, deps, signal));
  const analysis = await decoding;
  timings.decodeMs = Math.round(performance.now() - t);
  metrics.decodeSeconds.observe(timings.decodeMs / 1000);

  signal?.throwIfAborted();
  const fetchedAt = new Date();
  const serviceName = await service;
  t = performance.now();
  const saved = await deps.store.save(fetched.bytes, request.type, request.context, fetchedAt, serviceName);
  if (goroutineDump !== undefined) await deps.store.saveGoroutineDump(saved, goroutineDump);
  timings.storeMs = Math.round(performance.now() - t);
  const source = `${fetched.url.origin}${fetched.url.pathname}`;
  // Undecoded only for a diff, whose analysis replaces it before anything reads it.
  return { analysis: analysis as Analysis, bytes: fetched.bytes, profilePath: saved.path, saved, service: serviceName, fetchedAt, source, goroutineDump };
}

/**
 * Decode + aggregate in a worker: of the bytes gunzipped while they arrived when the whole body came through the
 * stream (not from a Job, whose bytes come at the end), else of the bytes as fetched.
 */
async function decodeFetched(fetched: AcquiredProfile, inflating: InflateStream | undefined, deps: ProcessorDeps, signal?: AbortSignal): Promise<Analysis> {
  try {
    const streamed = inflating !== undefined && inflating.received === fetched.bytes.length;
    if (!streamed) inflating?.cancel();
    // Its parts go to the worker, which joins them.
    const inflated = streamed ? await inflating.end() : undefined;
    return await deps.pool.analyze(inflated ?? fetched.bytes, { maxBytes: deps.config.maxProfileBytes }, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ProfileError(`${(error as Error).message}${describeBody(fetched.contentType, fetched.bytes)}`);
  }
}

/**
 * Once stored with its entry, a viewer may make room for another when idle and come back on its next request,
 * when its address is PUBLIC_BASE_URL's /viewer/<id>/: an address of its own port would end with that port.
 */
export function evictable(deps: ProcessorDeps): boolean {
  return deps.config.publicBaseUrl !== undefined;
}

/** The answer's summary; a diff's gives both captures' values, the base's side an aggregate of its samples alone. */
export async function summaryOf(type: ProfileType, analysis: Analysis, isDiff: boolean, reports: ReportRunner) {
  const base = isDiff ? await reports.report(analysis.data, { kind: 'aggregate', options: { baseOnly: true } }) : undefined;
  return summarize(type, analysis, 10, base);
}

/** What a log line says about a request: never the token, never the query of the source. */
function describe(request: ParsedRequest) {
  const common = {
    type: request.type,
    secret: request.secret ? `${request.secret.namespace}/${request.secret.name}` : undefined,
    diagnosis: [request.context.diagnosisNamespace, request.context.diagnosisName].filter(Boolean).join('/') || undefined,
  };
  if (isGroup(request)) return { ...common, targets: targetsOf(request) };
  return {
    ...common,
    source: `${request.profileUrl.origin}${request.profileUrl.pathname}`,
    pod: podOf(request.context),
  };
}

function targetsOf({ group }: GroupRequest): string {
  if (group.kind === 'sources') return group.sources.map((u) => `${u.origin}${u.pathname}`).join(' ');
  return `${describeGroup(group)} (${group.collector})`;
}
