import type { RequestContext } from '../parameters/request-context';

// api/profile's answer. The page imports these types too (web/app/api-types.ts), so the two cannot drift.

export interface SampleTypeInfo {
  type: string;
  unit: string;
  total: number;
  totalText: string;
}

/** One capture of a diff: where and when it was taken. */
export interface CaptureInfo {
  source: string;
  fetchedAt: string;
  /** The profile's own time (its TimeNanos), when it has one. */
  time?: string;
  /** Where it is stored under DATA_ROOT. */
  profilePath: string;
  /** The pod it came from, when the request named one. */
  pod?: string;
}

/** A diff's two captures: the views show new - base, as pprof's -diff_base. */
export interface DiffInfo {
  base: CaptureInfo;
  new: CaptureInfo;
  /** diff_base.normalize: the new capture was scaled to the base's total first (pprof's -normalize). */
  normalized: boolean;
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
  /** Present when the profile is a diff. */
  diff?: DiffInfo;
}
