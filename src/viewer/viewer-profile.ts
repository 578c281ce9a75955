import { ProfileType } from '../parameters/profile-types';
import { RequestContext } from '../parameters/parse';
import { Analysis } from '../report/analyze';

/** Everything one viewer serves. */
export interface ViewerProfile {
  type: ProfileType;
  analysis: Analysis;
  /** The bytes as fetched, for download. */
  raw: Uint8Array;
  downloadName: string;
  /** The source URL without query or credentials. */
  source: string;
  context: RequestContext;
  fetchedAt: Date;
  profilePath: string;
}
