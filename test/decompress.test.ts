import zlib from 'node:zlib';
import { decompress } from '../src/profile/decompress';

// decompress sizes its output from the gzip trailer (ISIZE); the trailer comes from the profiled program, so a
// wrong one must change nothing but how many chunks zlib writes.

const payload = Buffer.from('pprof '.repeat(50_000));

function withIsize(gz: Buffer, isize: number): Buffer {
  const copy = Buffer.from(gz);
  copy.writeUInt32LE(isize >>> 0, copy.length - 4);
  return copy;
}

describe('decompress', () => {
  const gz = zlib.gzipSync(payload);

  test('gives back the bytes; a trailer that lies about the size is an error, not a wrong answer', () => {
    expect(Buffer.from(decompress(gz, 1 << 20)).equals(payload)).toBe(true);
    // zlib checks ISIZE itself, so a lying trailer is an error, reported as such, not a wrong answer or a crash.
    for (const isize of [1, 0xffffffff]) {
      expect(() => decompress(withIsize(gz, isize), 1 << 20)).toThrow(/decompressing profile/);
    }
  });

  test('reads every member of a multi-member gzip', () => {
    const twice = Buffer.concat([zlib.gzipSync(payload), zlib.gzipSync(payload)]);
    expect(Buffer.from(decompress(twice, 1 << 20)).equals(Buffer.concat([payload, payload]))).toBe(true);
  });

  test('stops at the limit even when the trailer claims less', () => {
    expect(() => decompress(withIsize(gz, 100), 1000)).toThrow(/expands past the limit of 1000 bytes/);
  });
});
