import { acquireProfile, AcquiredProfile } from '../acquire/acquire-profile';
import { describeBody } from '../acquire/fetch-profile';
import { ProfileError } from '../errors';
import { ProfileRequest } from '../parameters/parse';
import { notAProfile } from '../profile/sniff';
import type { ProcessorDeps } from './go-profiler';

/** acquireProfile with the service's limits and the caller's signal; onBody sees the body as it arrives. */
export function fetchUngated(request: ProfileRequest, deps: ProcessorDeps, signal?: AbortSignal, onBody?: (chunk: Buffer) => void): Promise<AcquiredProfile> {
  const { config } = deps;
  return acquireProfile(request, {
    kube: deps.kube,
    fetchTimeoutSeconds: config.fetchTimeoutSeconds,
    maxProfileBytes: config.maxProfileBytes,
    policy: deps.policy,
    secretNamespaces: config.secretNamespaces,
    jobs: deps.jobs,
    signal,
    onBody,
  });
}

/** The Go runtime serves one CPU profile per process at a time: requests for one source take turns. */
export function cpuTurn<T>(request: ProfileRequest, deps: ProcessorDeps, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (request.type !== 'Profile') return work();
  return deps.cpuLocks.run(`${request.profileUrl.origin}${request.profileUrl.pathname}`, work, signal);
}

/** Fetches within the concurrency limit, CPU profiles of one source one at a time. */
export function acquireGated(request: ProfileRequest, deps: ProcessorDeps, signal?: AbortSignal, onBody?: (chunk: Buffer) => void): Promise<AcquiredProfile> {
  return cpuTurn(request, deps, () => deps.fetchGate.run(() => fetchUngated(request, deps, signal, onBody), signal), signal);
}

/** A body that is not a profile (an HTML page, a JSON error) is refused here, saying what came instead. */
export function checkIsProfile(fetched: AcquiredProfile): AcquiredProfile {
  const reason = notAProfile(fetched.bytes);
  if (reason) throw new ProfileError(`reading profile: ${reason}${describeBody(fetched.contentType, fetched.bytes)}`);
  return fetched;
}
