import type { RequestContext } from '../parameters/request-context';

// api/profile's answer. The page imports these types too (web/app/api-types.ts), so the two cannot drift.

export interface SampleTypeInfo {
  type: string;
  unit: string;
  total: number;
  totalText: string;
}

/** What the viewer's header shows: where the profile came from, whose it is, and what it holds. */
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
  context: RequestContext;
  downloadName: string;
  granularities: string[];
  hasGoroutineDump: boolean;
}
