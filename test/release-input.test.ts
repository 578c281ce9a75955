import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as buildModule from '../src/profile/build-profile-data';
import { decodeProfile } from '../src/profile/decode';
import * as readProfileModule from '../src/profile/read-profile';
import { encodeShaped } from './support/shaped-profile';

// A decode worker's copy of a profile's bytes is freed as soon as it is gunzipped (releaseInput), so that the
// compressed bytes are not held beside the tables they become; the gunzipped bytes, once read. Only bytes that own
// their whole buffer are freed.

const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const options = { maxBytes: 1 << 26 };

test('gzipped bytes that own their buffer are freed once gunzipped, and decode the same', () => {
  const owned = new Uint8Array(HEAP.length);
  owned.set(HEAP);
  const released = decodeProfile(owned, { ...options, releaseInput: true });
  expect(owned.buffer.byteLength).toBe(0); // detached: its memory is gone
  expect(released).toEqual(decodeProfile(HEAP, options));
});

test('bytes that are not gzipped (they are the profile itself) are freed once read; a view into a larger buffer is left alone', () => {
  const raw = zlib.gunzipSync(HEAP);
  const own = new Uint8Array(raw.length);
  own.set(raw);
  expect(decodeProfile(own, { ...options, releaseInput: true })).toEqual(decodeProfile(HEAP, options));
  expect(own.byteLength).toBe(0);
  const larger = new Uint8Array(HEAP.length + 16);
  larger.set(HEAP, 8);
  const view = larger.subarray(8, 8 + HEAP.length);
  decodeProfile(view, { ...options, releaseInput: true });
  expect(larger.byteLength).toBe(HEAP.length + 16);
  // Without the option nothing is freed.
  const kept = Uint8Array.from(HEAP);
  decodeProfile(kept, options);
  expect(kept.byteLength).toBe(HEAP.length);
});

test('the gunzipped bytes, the decoder\'s own, are freed once read, before the tables are built', () => {
  const readProfile = jest.spyOn(readProfileModule, 'readProfile');
  const build = buildModule.buildProfileData;
  const buildProfileData = jest.spyOn(buildModule, 'buildProfileData');
  let detachedWhenBuilt: boolean | undefined;
  buildProfileData.mockImplementation((...args) => {
    detachedWhenBuilt = (readProfile.mock.calls[0][0] as Uint8Array).buffer.byteLength === 0;
    return build(...args);
  });
  try {
    // Larger than zlib's smallest output chunk (64 KB), so that the gunzipped profile has its buffer to itself.
    const gzipped = encodeShaped({
      sampleTypes: [['alloc_space', 'bytes']],
      locations: Array.from({ length: 200 }, (_, i) => ({ id: i + 1, lines: [`main.f${i}`] })),
      samples: Array.from({ length: 20_000 }, (_, i) => ({ stack: [1 + (i % 200), 1 + ((i * 7) % 200)], values: [i * 3 + 1], labels: [{ key: 'bytes', num: 64 }] })),
    });
    expect(zlib.gunzipSync(gzipped).length).toBeGreaterThan(64 * 1024);
    const decoded = decodeProfile(gzipped, options);
    expect(detachedWhenBuilt).toBe(true);
    expect(decoded.values).toBeInstanceOf(Float64Array);
    // Bytes the caller passed in that are the profile itself (not gzipped) are the caller's: never freed.
    const raw = Uint8Array.from(zlib.gunzipSync(gzipped));
    decodeProfile(raw, options);
    expect(raw.buffer.byteLength).toBe(raw.length);
    expect(decodeProfile(raw, options)).toEqual(decoded);
  } finally {
    readProfile.mockRestore();
    buildProfileData.mockRestore();
  }
});
