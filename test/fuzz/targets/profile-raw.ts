// The profile decoder on raw protobuf (what a gzip stream holds, and what a source may send ungzipped), then
// what the service does with a decoded profile (aggregate, the top table), as test/hostile-profiles.test.ts does.
import { ProfileError } from '../../../src/errors';
import { analyze } from '../../../src/report/analyze';
import { topTable } from '../../../src/report/top';
import { check, expectRefusal, timed } from './invariant';

/** As test/hostile-profiles.test.ts: large enough for any input the fuzzer makes, small enough for its memory. */
export const MAX_BYTES = 16 * 1024 * 1024;
export const PROFILE_STAGE = /^(decompressing|parsing|invalid|decoding) profile: /;

export function decodeOrRefuse(data: Buffer, maxBytes = MAX_BYTES): void {
  try {
    const { data: profile, model } = analyze(data, { maxBytes });
    check(profile.sampleTypes.length > 0, 'a decoded profile has sample types');
    check(profile.defaultSampleIndex >= 0 && profile.defaultSampleIndex < profile.sampleTypes.length, 'the default sample index is a sample type');
    for (let i = 0; i < profile.sampleTypes.length; i++) topTable(profile, model, i);
  } catch (error) {
    expectRefusal(error, ProfileError, PROFILE_STAGE);
  }
}

export function fuzz(data: Buffer): void {
  timed('decoding a raw profile', () => decodeOrRefuse(data));
}
