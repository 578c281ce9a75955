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
    return zlib.gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new ProfileError(`decompressing profile: it expands past the limit of ${maxBytes} bytes (MAX_PROFILE_BYTES)`);
    }
    throw new ProfileError(`decompressing profile: ${e.message}`);
  }
}
