// The viewer's JSON API as the page reads it (see src/viewer/viewer-api.ts and openapi.yaml).

export interface SampleTypeInfo {
  type: string;
  unit: string;
  total: number;
  totalText: string;
}

export interface ProfileInfo {
  type: string;
  source: string;
  fetchedAt: string;
  expiresAt: string;
  time?: string;
  durationSeconds: number;
  period?: { value: number; type: string; unit: string; text: string };
  mainBinary?: { file: string; buildId: string };
  comments: string[];
  defaultSampleType: string;
  sampleTypes: SampleTypeInfo[];
  samples: number;
  context: {
    diagnosisNamespace?: string;
    diagnosisName?: string;
    podNamespace?: string;
    podName?: string;
    container?: string;
    node?: string;
  };
  downloadName: string;
  granularities?: string[];
  hasGoroutineDump?: boolean;
}

export interface TopRow {
  name: string;
  file: string;
  flat: number;
  cum: number;
  flatText: string;
  cumText: string;
  flatPercent: string;
  sumPercent: string;
  cumPercent: string;
  inline?: boolean;
}

export interface TopTable {
  sampleType: string;
  unit: string;
  total: number;
  totalText: string;
  rows: TopRow[];
}

/** The call tree as parallel arrays; node 0 is the root and parents precede children. */
export interface FlameGraphJson {
  sampleType: string;
  unit: string;
  total: number;
  names: string[];
  files: string[];
  parent: number[];
  name: number[];
  value: number[];
  self: number[];
}

export interface PeekEdge {
  name: string;
  value: number;
  valueText: string;
  percent: string;
}

export interface Peek {
  function: string;
  flat: number;
  cum: number;
  flatText: string;
  cumText: string;
  callers: PeekEdge[];
  callees: PeekEdge[];
}

export interface CallGraph {
  dot: string;
  nodes: Array<{ id: string; name: string; flat: number; cum: number }>;
  edges: Array<{ from: string; to: string; value: number; inline?: boolean }>;
}

export interface GoroutineGroup {
  count: number;
  state: string;
  waitMinutesMax: number;
  waitText: string;
  createdBy?: string;
  stack: Array<{ function: string; file: string; line: number }>;
}

export interface Goroutines {
  available: boolean;
  total: number;
  groups: GoroutineGroup[];
}

export interface ApiErrorBody {
  error: string;
  details?: Array<{ key?: string; message: string }>;
}
