// The aggregate's shape alone, apart from the code that builds it (aggregate.ts, which loads Node modules): the
// viewer's page type-checks against it.

/**
 * The aggregated model the summary and the top table read: per node key and sample type, flat and cum, and pprof's
 * inline marks. Built in one pass over the samples. It keeps no caller -> callee edge table: on a profile with many
 * distinct call pairs that outweighs the profile itself, and only peek reads edges (it scans the stacks for the
 * one function, peek.ts); the call graph builds its own (callgraph.ts), the flame graph reads the stacks.
 */
export interface Aggregate {
  typeCount: number;
  /** node key -> name and file */
  names: string[];
  files: string[];
  /** key * typeCount + t */
  flat: Float64Array;
  cum: Float64Array;
  /**
   * pprof's total, per type: the sum of |value| over every sample, before any refinement (report.New computes
   * it before applyFocus), so percentages stay of the whole profile.
   */
  totals: Float64Array;
  /**
   * key * typeCount + t: 1 when pprof's top marks the node "(inline)", 2 "(partial-inline)", 0 neither
   * (report.TextItems: every, or only some, of the calls into it above the edge fraction were inlined).
   */
  inlineLabels: Uint8Array;
}
