import { AcquiredProfile } from '../acquire/acquire-profile';
import { ResolvedTargets, resolveTargets, Target } from '../acquire/targets/resolve-targets';
import { InputError, UpstreamError } from '../errors';
import { GroupRequest } from '../parameters/parse-group';
import { KEYS } from '../parameters/schema';
import { checkIsProfile, cpuTurn, fetchUngated } from './acquire-one';
import type { ProcessorDeps } from './go-profiler';

/** One target's fetch: its profile, or why there is none. */
export interface TargetOutcome {
  target: Target;
  fetched?: AcquiredProfile;
  error?: string;
}

export interface GroupAcquired {
  resolved: ResolvedTargets;
  outcomes: TargetOutcome[];
}

/**
 * Resolves the group to its targets and fetches them all, concurrently within MAX_CONCURRENT_FETCHES. CPU profiles
 * start together, so that they cover the same window: the group takes its fetch slots at once.
 */
export async function acquireGroup(request: GroupRequest, deps: ProcessorDeps, signal?: AbortSignal): Promise<GroupAcquired> {
  const resolved = await resolveTargets(request, deps.kube);
  signal?.throwIfAborted();
  const { targets } = resolved;
  const fetch = (target: Target) => () => fetchUngated(target.request, deps, signal).then(checkIsProfile);
  let settled: Array<PromiseSettledResult<AcquiredProfile>>;
  if (request.type === 'Profile') {
    const limit = deps.config.maxConcurrentFetches;
    if (targets.length > limit) {
      const key = request.group.kind === 'sources' ? KEYS.sources : KEYS.targetMaxPods;
      const message = `asks for ${targets.length} CPU profiles, which start together, and MAX_CONCURRENT_FETCHES allows ${limit} fetches at once: ask for at most ${limit}`;
      throw new InputError(`invalid request parameters: ${message}`, [{ key, message }]);
    }
    const works = targets.map((target) => () => cpuTurn(target.request, deps, fetch(target), signal));
    settled = await deps.fetchGate.runTogether(works, signal);
  } else {
    settled = await Promise.allSettled(targets.map((target) => deps.fetchGate.run(fetch(target), signal)));
  }
  signal?.throwIfAborted();
  const outcomes = settled.map((result, i) =>
    result.status === 'fulfilled' ? { target: targets[i], fetched: result.value } : { target: targets[i], error: (result.reason as Error).message },
  );
  if (!outcomes.some((o) => o.fetched)) {
    const reasons = outcomes.map((o) => `${o.target.name}: ${o.error}`).join('; ');
    throw new UpstreamError(`profiling ${resolved.description}: every target failed: ${reasons}`);
  }
  return { resolved, outcomes };
}
