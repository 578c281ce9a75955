import { isShared, ProfileData } from '../profile/profile-data';
import { aggregate, Aggregate, AggregateOptions } from './aggregate';
import { callGraph, CallGraphData, CallGraphRequest } from './callgraph';
import { isDiffProfile } from './diff/base-samples';
import { diffFlameGraph, diffFlameSearch, diffFlameStacks } from './diff/diff-flamegraph';
import { searchFlame, FlameSearchRequest, FlameSearchResult } from './flame-search';
import { flameStacks, FlameStacks, FlameStacksOptions } from './flame-stacks';
import { flameGraph, FlameGraphData, FlameGraphRequest } from './flamegraph';
import { GoroutineDump, parseGoroutineDump } from './goroutines';
import { peek, PeekData, PeekRequest } from './peek';
import { RefineOptions } from './refine';
import { labelBreakdown, LabelBreakdown, LabelsRequest } from './tags/label-breakdown';
import { labelledProfile } from './tags/labelled-profile';

/** The heavy report work a viewer hands to a worker thread: pure functions of the profile and a request. */
export type ReportJob =
  | { kind: 'aggregate'; options: AggregateOptions }
  | { kind: 'callgraph'; request: CallGraphRequest }
  | { kind: 'flamestacks'; options: FlameStacksOptions }
  | { kind: 'flamegraph'; stacks: FlameStacks; request: FlameGraphRequest; total?: number }
  | { kind: 'flamesearch'; stacks: FlameStacks; request: FlameSearchRequest }
  | { kind: 'peek'; request: PeekRequest }
  | { kind: 'labels'; request: LabelsRequest }
  /** The goroutine?debug=2 text grouped: a 64 MiB dump is about a second of parsing, off the main thread. */
  | { kind: 'goroutines'; dump: string };

interface Results {
  aggregate: Aggregate;
  callgraph: CallGraphData;
  flamestacks: FlameStacks;
  flamegraph: FlameGraphData;
  flamesearch: FlameSearchResult;
  peek: PeekData | undefined;
  labels: LabelBreakdown;
  goroutines: GoroutineDump;
}

export type ReportResult<J extends ReportJob> = Results[J['kind']];

/** Runs a job here and now; the worker runs the same. */
export function runReportJob<J extends ReportJob>(data: ProfileData, job: J): ReportResult<J> {
  return run(data, job) as ReportResult<J>;
}

/**
 * The views that walk stacks get the data as the label options leave it (pseudo frames, kept keys); the flame
 * graph's cut and search read stacks already built so, and sample values, which the options do not change. A diff
 * profile's flame graph is its own (diff/diff-flamegraph.ts).
 */
function run(data: ProfileData, job: ReportJob): Results[ReportJob['kind']] {
  const labelled = (refine: RefineOptions = {}) => labelledProfile(data, refine);
  switch (job.kind) {
    case 'aggregate':
      return aggregate(labelled(job.options.refine), job.options);
    case 'callgraph':
      return callGraph(labelled(job.request.refine), job.request);
    case 'flamestacks':
      return (isDiffProfile(data) ? diffFlameStacks : flameStacks)(labelled(job.options.refine), job.options);
    case 'flamegraph':
      return (isDiffProfile(data) ? diffFlameGraph : flameGraph)(data, job.stacks, job.request, job.total);
    case 'flamesearch':
      return (isDiffProfile(data) ? diffFlameSearch : searchFlame)(data, job.stacks, job.request);
    case 'peek':
      return peek(labelled(job.request.refine), job.request);
    case 'labels':
      return labelBreakdown(labelled(job.request.refine), job.request);
    case 'goroutines':
      return parseGoroutineDump(job.dump);
  }
}

/** Where one is anywhere (a worker pool, or inline in tests and tools). */
export interface ReportRunner {
  report<J extends ReportJob>(data: ProfileData, job: J): Promise<ReportResult<J>>;
}

export const INLINE_RUNNER: ReportRunner = {
  report: async (data, job) => runReportJob(data, job),
};

/** The buffers of a job's result that can move between threads instead of being copied. */
export function resultTransferables(result: unknown): ArrayBuffer[] {
  if (!isAggregate(result)) return [];
  const { flat, cum, totals, inlineLabels } = result;
  return [flat, cum, totals, inlineLabels]
    .map((a) => a.buffer)
    .filter((b): b is ArrayBuffer => !isShared(b));
}

function isAggregate(value: unknown): value is Aggregate {
  return typeof value === 'object' && value !== null && 'inlineLabels' in value && 'cum' in value;
}
