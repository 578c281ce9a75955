import { GroupRequest } from '../parameters/parse-group';
import { RequestContext } from '../parameters/request-context';
import { Analysis } from '../report/analyze';
import { totalsByLabel } from '../report/label-totals';
import { formatValue } from '../report/units';
import { RESULT } from '../result/answer';
import { acquireGroup, TargetOutcome } from './acquire-group';
import type { ProcessorDeps, Profiled } from './go-profiler';

/**
 * Many targets: fetch them all, merge what came (each sample labelled with its target) and decode the merge in
 * a worker; the merged profile is stored as one file, each target's own beside it.
 */
export async function profileGroup(request: GroupRequest, deps: ProcessorDeps, timings: Record<string, number>, signal?: AbortSignal, fetchedAll?: () => void): Promise<Profiled> {
  const { config, metrics } = deps;
  let t = performance.now();
  const { resolved, outcomes } = await acquireGroup(request, deps, signal);
  timings.fetchMs = Math.round(performance.now() - t);
  metrics.fetchSeconds.observe(timings.fetchMs / 1000);
  const fetched = outcomes.filter((o) => o.fetched);
  for (const o of fetched) metrics.countBytes(o.fetched?.bytes.length ?? 0);
  fetchedAll?.();

  t = performance.now();
  const inputs = fetched.map((o) => ({ name: o.target.name, bytes: o.fetched?.bytes as Buffer, labels: o.target.labels }));
  const { merged, analysis } = await deps.pool.mergeAndAnalyze(inputs, { maxBytes: config.maxProfileBytes }, signal);
  timings.decodeMs = Math.round(performance.now() - t);
  metrics.decodeSeconds.observe(timings.decodeMs / 1000);

  signal?.throwIfAborted();
  const fetchedAt = new Date();
  const service = serviceOfGroup(request);
  const saved = await deps.store.save(merged, request.type, groupContext(request), fetchedAt, service);
  const rawPaths = await deps.store.saveBeside(saved, fetched.map((o) => ({ name: o.target.name, bytes: o.fetched?.bytes as Buffer })));
  const totals = targetTotals(analysis, request.group.kind === 'sources' ? 'source' : 'pod', outcomes);
  const listed = outcomes.map((o) => ({
    target: o.target.name,
    ...o.target.labels,
    outcome: o.fetched ? 'ok' : 'failed',
    ...(o.fetched ? { ...totals.get(o.target), profile_path: rawPaths.get(o.target.name) } : { reason: o.error }),
  }));
  return {
    analysis,
    bytes: merged,
    profilePath: saved.path,
    saved,
    service,
    fetchedAt,
    source: `${resolved.description}: ${fetched.length} of ${outcomes.length} targets`,
    extraAnswer: { [`${RESULT}targets`]: JSON.stringify(listed) },
    extraSummary: {
      targets: fetched.map((o) => ({ target: o.target.name, ...totals.get(o.target) })),
      ...(resolved.pods ? { pods_matched: resolved.pods.matched, pods_running: resolved.pods.running } : {}),
    },
  };
}

/** Each profiled target's total in the default sample type, read back from the merged profile by its label. */
function targetTotals({ data }: Analysis, key: string, outcomes: TargetOutcome[]) {
  const sampleIndex = data.defaultSampleIndex;
  const byValue = totalsByLabel(data, key, sampleIndex);
  const unit = data.sampleTypes[sampleIndex]?.unit ?? '';
  const totals = new Map<TargetOutcome['target'], { total: number; total_text: string }>();
  for (const { target } of outcomes) {
    const total = byValue.get(target.labels[key]) ?? 0;
    totals.set(target, { total, total_text: formatValue(total, unit) });
  }
  return totals;
}

/** A group's key is filed under its workload's name, its selector's, or "sources". */
function serviceOfGroup({ group }: GroupRequest): string {
  if (group.kind === 'sources') return 'sources';
  return group.workload?.name ?? 'selector';
}

/** Where the merged file goes: the group's namespace and what chose its pods stand in for one pod's names. */
function groupContext({ group, context }: GroupRequest): RequestContext {
  if (group.kind === 'sources') return { ...context, podNamespace: undefined, podName: 'sources', container: undefined };
  const chose = group.workload ? `${group.workload.kind}-${group.workload.name}` : 'selector';
  return { ...context, podNamespace: group.namespace, podName: chose, container: undefined };
}
