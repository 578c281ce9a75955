// The collector Job's framed log (src/acquire/framing.ts), as src/acquire/job/job-log.ts reads it: the profile,
// or a FrameError that job-log turns into the answer's reason. Any other exception would escape job-log as an
// internal error.
import { collectorError, decodeFrame, encodeFrame, FrameError } from '../../../src/acquire/framing';
import { check, expectRefusal, timed } from './invariant';

/** The Job path's default limit (JOB_MAX_PROFILE_BYTES). */
const MAX_BYTES = 4 * 1024 * 1024;

export function fuzz(data: Buffer): void {
  timed('decoding a framed log', () => {
    // The Kubernetes client hands the log over as UTF-8 text.
    const log = data.toString('utf8');
    collectorError(log);
    try {
      const profile = decodeFrame(log, MAX_BYTES);
      check(profile.length <= MAX_BYTES, 'a decoded frame is within the limit');
      check(decodeFrame(encodeFrame(profile), MAX_BYTES).equals(profile), 'a decoded frame encodes back to the same bytes');
    } catch (error) {
      expectRefusal(error, FrameError, /\S/);
    }
  });
}
