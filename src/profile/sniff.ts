import { isGzip } from './decompress';

/**
 * Says why bytes are plainly not a pprof profile (empty, an HTML page, a text dump), or undefined when they may be
 * one. Profiles are gzipped protobuf; text is what misconfigured sources send instead.
 */
export function notAProfile(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'the body is empty';
  if (isGzip(bytes)) return undefined;
  const head = bytes.subarray(0, 256);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (!printable) return undefined;
  const text = Buffer.from(head).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<')) return 'it is an HTML page';
  return 'it is text, not a pprof profile (was ?debug=1 or a text format asked for?)';
}
