import { isShared, ProfileData } from '../profile/profile-data';
import { aggregate, Aggregate, AggregateOptions } from './aggregate';
import { callGraph, CallGraphData, CallGraphRequest } from './callgraph';

/** The heavy report work a viewer hands to a worker thread: pure functions of the profile and a request. */
export type ReportJob = { kind: 'aggregate'; options: AggregateOptions } | { kind: 'callgraph'; request: CallGraphRequest };

export type ReportResult<J extends ReportJob> = J extends { kind: 'aggregate' } ? Aggregate : CallGraphData;

/** Runs a job here and now; the worker runs the same. */
export function runReportJob<J extends ReportJob>(data: ProfileData, job: J): ReportResult<J> {
  const result = job.kind === 'aggregate' ? aggregate(data, job.options) : callGraph(data, job.request);
  return result as ReportResult<J>;
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
  const { flat, cum, totals, edges, tree } = result;
  return [flat, cum, totals, edges.from, edges.to, edges.inline, edges.weight, tree.parent, tree.key, tree.total, tree.self]
    .map((a) => a.buffer)
    .filter((b): b is ArrayBuffer => !isShared(b));
}

function isAggregate(value: unknown): value is Aggregate {
  return typeof value === 'object' && value !== null && 'tree' in value && 'edges' in value;
}
