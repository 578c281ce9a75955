// The viewer's JSON API as the page reads it (see src/viewer/viewer-api.ts and openapi.yaml).

// The shapes the server builds are imported, not restated, so the page cannot drift from them.
export type { CaptureInfo, DiffInfo, ProfileInfo, SampleTypeInfo } from '../../src/viewer/profile-info';
export type { CaptureState, CaptureStatus } from '../../src/viewer/capture-status';
export type { TopRow, TopRowDiff, TopTable } from '../../src/report/top';
export type { FlameGraphData as FlameGraphJson } from '../../src/report/flamegraph';
export type { PeekEdge, PeekData as Peek } from '../../src/report/peek';
export type { CallGraphData as CallGraph } from '../../src/report/callgraph';
export type { GoroutineFrame, GoroutineGroup } from '../../src/report/goroutines';
export type { GoroutineGrowth, GoroutineGrowthReport } from '../../src/report/diff/goroutine-growth';
export type { LabelBreakdown as LabelsJson, LabelKey, LabelValue } from '../../src/report/tags/label-breakdown';
import type { GoroutineDump } from '../../src/report/goroutines';
import type { GoroutineGrowthReport } from '../../src/report/diff/goroutine-growth';
import type { FlameSearchResult } from '../../src/report/flame-search';

/** api/flamegraph/search: the value under matching frames, over every stack, and the total it is a share of. */
export type FlameSearchJson = FlameSearchResult & { total: number };

/** api/goroutines: the grouped dump, or available: false when the profile came without one. */
export interface Goroutines extends GoroutineDump {
  available: boolean;
  /** A Goroutine diff with both captures' dumps: the groups that changed since the base. */
  growth?: GoroutineGrowthReport;
}

export interface ApiErrorBody {
  error: string;
  details?: Array<{ key?: string; message: string }>;
}
