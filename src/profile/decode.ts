import { buildProfileData } from './build-profile-data';
import { decompress } from './decompress';
import { DEFAULT_LIMITS, StructureLimits } from './limits';
import { ProfileData } from './profile-data';
import { readProfile } from './read-profile';
import { validateTables } from './validate-tables';

export interface DecodeOptions {
  maxBytes: number;
  limits?: StructureLimits;
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
  const raw = readProfile(decompress(bytes, options.maxBytes), limits.maxSamples);
  return buildProfileData(raw, validateTables(raw, limits));
}
