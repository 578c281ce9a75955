// The profile decoder on gzip streams (Go serves profiles gzipped): header, deflate data, trailer (CRC, and the
// ISIZE decompress.ts sizes its output by), and the size limit, which is also tried small enough for the
// fuzzer's inputs to reach it.
import { ProfileError } from '../../../src/errors';
import { decompress } from '../../../src/profile/decompress';
import { expectRefusal, timed } from './invariant';
import { decodeOrRefuse } from './profile-raw';

const SMALL_LIMIT = 4096;

export function fuzz(data: Buffer): void {
  timed('decoding a gzipped profile', () => {
    decodeOrRefuse(data);
    try {
      decompress(data, SMALL_LIMIT);
    } catch (error) {
      expectRefusal(error, ProfileError, /^(decompressing|decoding) profile: /);
    }
  });
}
