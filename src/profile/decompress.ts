import zlib from 'node:zlib';
import { ProfileError } from '../errors';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/**
 * Gunzips when the bytes are gzipped (Go serves profiles gzipped), refusing to grow past maxBytes: zlib stops at
 * maxOutputLength instead of allocating a gzip bomb's full size.
 */
export function decompress(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (!isGzip(bytes)) {
    if (bytes.length > maxBytes) throw new ProfileError(`decoding profile: ${bytes.length} bytes is more than the limit of ${maxBytes} (MAX_PROFILE_BYTES)`);
    return bytes;
  }
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: maxBytes, chunkSize: outputChunkSize(bytes, maxBytes) });
  } catch (error) {
    throw decompressError(error as NodeJS.ErrnoException, maxBytes);
  }
}

/** zlib's failure as the decoder reports it; inflate-stream.ts reports its own the same way. */
export function decompressError(error: NodeJS.ErrnoException, maxBytes: number): ProfileError {
  if (error.code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return expandsPastLimit(maxBytes);
  return new ProfileError(`decompressing profile: ${error.message}`);
}

export function expandsPastLimit(maxBytes: number): ProfileError {
  return new ProfileError(`decompressing profile: it expands past the limit of ${maxBytes} bytes (MAX_PROFILE_BYTES)`);
}

/** Deflate expands at most about 1032:1. */
const MAX_DEFLATE_RATIO = 1032;
const DEFAULT_CHUNK = 64 * 1024;

/**
 * One output chunk of the size the gzip trailer announces (ISIZE, the length mod 2^32), so zlib writes the profile
 * once instead of into chunks it then concatenates: half the peak memory of a large profile's decompression. The
 * trailer is untrusted, so the chunk is capped by what the input could expand to and by the limit; a wrong size
 * only means more chunks. Exactly that size, not a byte more: the profile then has the chunk's buffer to itself,
 * which the decoder frees once it is read (releaseBytes). (A full chunk makes zlib allocate the next one, which
 * nothing writes to: no memory is touched.)
 */
function outputChunkSize(bytes: Uint8Array, maxBytes: number): number {
  if (bytes.length < 18) return DEFAULT_CHUNK;
  const tail = bytes.length - 4;
  const announced = (bytes[tail] | (bytes[tail + 1] << 8) | (bytes[tail + 2] << 16) | (bytes[tail + 3] << 24)) >>> 0;
  const size = Math.min(announced, bytes.length * MAX_DEFLATE_RATIO, maxBytes + 1);
  return Math.max(DEFAULT_CHUNK, size);
}
