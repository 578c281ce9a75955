import { decodeProfile, DecodeOptions } from '../profile/decode';
import { ProfileData } from '../profile/profile-data';
import { aggregate, Aggregate } from './aggregate';

/** A decoded profile with its function-level model (the flame graph reads the stacks, on demand, in a worker). */
export interface Analysis {
  data: ProfileData;
  model: Aggregate;
}

/** Bytes -> decoded, validated, aggregated. Pure and synchronous; the worker pool runs it off the main thread. */
export function analyze(bytes: Uint8Array, options: DecodeOptions): Analysis {
  const data = decodeProfile(bytes, options);
  return { data, model: aggregate(data) };
}
