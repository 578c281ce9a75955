import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodeProfile } from '../src/profile/decode';

// A decode worker's copy of a profile's bytes is freed as soon as it is gunzipped (releaseInput), so that the
// compressed bytes are not held beside the tables they become. Only bytes that own their whole buffer are freed.

const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const options = { maxBytes: 1 << 26 };

test('gzipped bytes that own their buffer are freed once gunzipped, and decode the same', () => {
  const owned = new Uint8Array(HEAP.length);
  owned.set(HEAP);
  const released = decodeProfile(owned, { ...options, releaseInput: true });
  expect(owned.buffer.byteLength).toBe(0); // detached: its memory is gone
  expect(released).toEqual(decodeProfile(HEAP, options));
});

test('bytes that are not gzipped (they are the profile itself), or a view into a larger buffer, are left alone', () => {
  const raw = zlib.gunzipSync(HEAP);
  const own = new Uint8Array(raw.length);
  own.set(raw);
  decodeProfile(own, { ...options, releaseInput: true });
  expect(own.byteLength).toBe(raw.length);
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
