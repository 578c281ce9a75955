import { acquireProfile } from '../acquire/acquire-profile';
import { fetchGoroutineDump } from '../acquire/goroutine-dump';
import { AddressPolicy } from '../acquire/address-policy';
import { FetchGate, SourceLocks } from '../acquire/fetch-gate';
import { describeBody } from '../acquire/fetch-profile';
import type { JobCollector } from '../acquire/job/job-collector';
import { KubeProvider } from '../acquire/kube/clients';
import { Config } from '../config';
import { ProfileError, ServiceError } from '../errors';
import { Metrics } from '../http/metrics';
import { Logger } from '../log';
import { parseRequest, ProfileRequest } from '../parameters/parse';
import { notAProfile } from '../profile/sniff';
import { summarize } from '../report/summary';
import { buildAnswer, viewerUrl } from '../result/answer';
import { ProfileStore } from '../storage/profile-store';
import { ViewerRegistry } from '../viewer/registry';
import { AnalyzePool } from '../workers/analyze-pool';

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
}

/**
 * request body -> parameters -> profile bytes -> analysis -> stored file -> viewer -> answer. signal: the caller
 * hung up; then the fetch stops, a decode's result is dropped, nothing is stored and no viewer opens.
 */
export async function runGoProfiler(body: unknown, deps: ProcessorDeps, signal?: AbortSignal): Promise<Record<string, string>> {
  const { config, log, metrics } = deps;
  const started = performance.now();
  const timings: Record<string, number> = {};
  let request: ProfileRequest | undefined;
  try {
    request = parseRequest(body, config);
    const slot = deps.viewers.reserve();
    try {
      let t = performance.now();
      const fetched = await acquire(request, deps, signal);
      // A node Job would run a second time for the dump; the other collectors fetch it the way the profile came.
      const goroutineDump = request.collector.kind === 'job' ? undefined : await fetchGoroutineDump(request, (r) => acquire(r, deps, signal));
      signal?.throwIfAborted();
      timings.fetchMs = Math.round(performance.now() - t);
      metrics.fetchSeconds.observe(timings.fetchMs / 1000);
      metrics.countBytes(fetched.bytes.length);

      const reason = notAProfile(fetched.bytes);
      if (reason) throw new ProfileError(`reading profile: ${reason}${describeBody(fetched.contentType, fetched.bytes)}`);
      t = performance.now();
      const analysis = await deps.pool.analyze(fetched.bytes, { maxBytes: config.maxProfileBytes }, signal).catch((error: Error) => {
        if (signal?.aborted) throw error;
        throw new ProfileError(`${error.message}${describeBody(fetched.contentType, fetched.bytes)}`);
      });
      timings.decodeMs = Math.round(performance.now() - t);
      metrics.decodeSeconds.observe(timings.decodeMs / 1000);

      signal?.throwIfAborted();
      const fetchedAt = new Date();
      const profilePath = await deps.store.save(fetched.bytes, request.type, request.context, fetchedAt);
      signal?.throwIfAborted();
      const live = await deps.viewers.open(
        slot,
        {
          type: request.type,
          analysis,
          downloadName: profilePath.split('/').pop() as string,
          source: `${fetched.url.origin}${fetched.url.pathname}`,
          context: request.context,
          fetchedAt,
          profilePath,
          goroutineDump,
          reports: deps.pool,
        },
        request.expirationSeconds,
      );
      const answer = buildAnswer({
        viewerUrl: viewerUrl(live.id, live.port, config.advertiseAddress, config.publicBaseUrl),
        expirationSeconds: request.expirationSeconds,
        expiresAt: live.expiresAt,
        profilePath,
        summary: summarize(request.type, analysis),
      });
      timings.totalMs = Math.round(performance.now() - started);
      metrics.countRequest('ok');
      log.info({ outcome: 'ok', ...describe(request), viewer: live.id, port: live.port, ...timings }, 'profile served');
      return answer;
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

/** Fetches within the concurrency limit; CPU profiles of one source one at a time, as the Go runtime requires. */
function acquire(request: ProfileRequest, deps: ProcessorDeps, signal?: AbortSignal) {
  const { config } = deps;
  const fetch = () =>
    deps.fetchGate.run(
      () =>
        acquireProfile(request, {
          kube: deps.kube,
          fetchTimeoutSeconds: config.fetchTimeoutSeconds,
          maxProfileBytes: config.maxProfileBytes,
          policy: deps.policy,
          secretNamespaces: config.secretNamespaces,
          jobs: deps.jobs,
          signal,
        }),
      signal,
    );
  return request.type === 'Profile' ? deps.cpuLocks.run(`${request.profileUrl.origin}${request.profileUrl.pathname}`, fetch, signal) : fetch();
}

/** What a log line says about a request: never the token, never the query of the source. */
function describe(request: ProfileRequest) {
  return {
    type: request.type,
    source: `${request.profileUrl.origin}${request.profileUrl.pathname}`,
    secret: request.secret ? `${request.secret.namespace}/${request.secret.name}` : undefined,
    diagnosis: [request.context.diagnosisNamespace, request.context.diagnosisName].filter(Boolean).join('/') || undefined,
    pod: [request.context.podNamespace, request.context.podName].filter(Boolean).join('/') || undefined,
  };
}
