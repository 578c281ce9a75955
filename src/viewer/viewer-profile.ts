import { ProfileType } from '../parameters/profile-types';
import { RequestContext } from '../parameters/request-context';
import { Analysis } from '../report/analyze';
import { ReportRunner } from '../report/jobs';
import type { DiffInfo } from './profile-info';

/** Everything one viewer serves. */
export interface ViewerProfile {
  type: ProfileType;
  analysis: Analysis;
  /** Where the bytes as fetched are kept (under DATA_ROOT); the download reads them from there, not from memory. */
  downloadName: string;
  /** The source URL without query or credentials. */
  source: string;
  context: RequestContext;
  fetchedAt: Date;
  profilePath: string;
  /** The bytes at profilePath, from wherever the store keeps them; without it, read as a local file. */
  readBytes?: () => Promise<Uint8Array | undefined>;
  /** For a Goroutine profile: goroutine?debug=2 as fetched alongside it, when that worked. */
  goroutineDump?: string;
  /** For a diff: both captures; analysis is then of new - base. */
  diff?: DiffInfo;
  /** For a Goroutine diff: the base's goroutine?debug=2, when it was kept or fetched. */
  baseGoroutineDump?: string;
  /** Where refined views are computed (the worker pool); without one, in this thread. */
  reports?: ReportRunner;
}
