import { buildProfileData } from './build-profile-data';
import { decompress } from './decompress';
import { DEFAULT_LIMITS, StructureLimits } from './limits';
import { ProfileData } from './profile-data';
import { readProfile } from './read-profile';
import { releaseBytes } from './release-bytes';
import { validateTables } from './validate-tables';

export interface DecodeOptions {
  maxBytes: number;
  limits?: StructureLimits;
  /**
   * The bytes are the decoder's to free (a worker's own copy of them): once gunzipped, so that their memory goes
   * back before the tables are read (on the deep heap profile, 44 MB off the peak); once read when they are not
   * gzipped (a profile gunzipped while it was fetched).
   */
  releaseInput?: boolean;
}

/**
 * Raw (gzipped or not) pprof bytes -> validated ProfileData. Pure: no I/O, safe to run in a worker.
 *
 * The protobuf is read straight into typed arrays (read-profile.ts) rather than through pprof-format, which
 * builds an object per sample: on a million-sample heap profile that took 5.3 s and 750 MB, against about 1 s and
 * a third of the memory here (bench/RESULTS.md). test/decoder-equivalence.test.ts holds the two to the same output.
 */
export function decodeProfile(bytes: Uint8Array, options: DecodeOptions): ProfileData {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const unzipped = decompress(bytes, options.maxBytes);
  if (options.releaseInput && unzipped !== bytes) releaseBytes(bytes);
  // The gunzipped bytes are the decoder's own (and bytes given to free, when they were not gzipped): freed once
  // read, before the tables are built and aggregated (77 MB off the deep heap profile's peak).
  const raw = readProfile(unzipped, limits.maxSamples, { release: unzipped !== bytes || options.releaseInput === true });
  return buildProfileData(raw, validateTables(raw, limits));
}
