import crypto from 'node:crypto';

/**
 * How a profile travels from the collector Job back to the service: as text in the pod's log, which is the one
 * channel a Job has that needs no extra permission, volume or network path.
 *
 *   GO-PROFILER-FRAME v1 BEGIN length=<bytes> sha256=<hex>
 *   <base64, 76 characters a line>
 *   GO-PROFILER-FRAME v1 END
 *
 * The length and checksum make a truncated or altered log an error instead of a profile that decodes into
 * something else. Short lines keep each log record far below the container runtime's 16 KiB line split.
 */
export const FRAME_MAGIC = 'GO-PROFILER-FRAME v1';
const BEGIN = new RegExp(`^${FRAME_MAGIC} BEGIN length=(\\d+) sha256=([0-9a-f]{64})$`);
const END = `${FRAME_MAGIC} END`;
const LINE_CHARS = 76;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** What the collector prints on stderr before exiting 1; the service looks for it in the log. */
export const COLLECTOR_ERROR_PREFIX = 'go-profiler collect: error: ';

/** The framed text for a profile, ending with a newline. */
export function encodeFrame(bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = [`${FRAME_MAGIC} BEGIN length=${bytes.length} sha256=${sha256(bytes)}`];
  for (let at = 0; at < base64.length; at += LINE_CHARS) lines.push(base64.slice(at, at + LINE_CHARS));
  lines.push(END);
  return `${lines.join('\n')}\n`;
}

/** How many bytes of log a framed profile of `bytes` bytes takes, without any runtime prefix. */
export function framedSize(bytes: number): number {
  const base64 = 4 * Math.ceil(bytes / 3);
  const lines = Math.ceil(base64 / LINE_CHARS);
  return base64 + lines + `${FRAME_MAGIC} BEGIN length=${bytes} sha256=${'0'.repeat(64)}\n`.length + END.length + 1;
}

/** A log that does not hold one whole, intact frame; the message says what is wrong with it. */
export class FrameError extends Error {}

/**
 * Finds the frame in a pod log (other lines, such as runtime warnings on stderr, may surround it) and returns the
 * profile, after checking its length against the declared one and the limit, and its sha256.
 */
export function decodeFrame(log: string, maxBytes: number): Buffer {
  const lines = log.split('\n').map((line) => line.replace(/\r$/, ''));
  const begin = lines.findIndex((line) => line.startsWith(`${FRAME_MAGIC} BEGIN`));
  if (begin < 0) throw new FrameError(describeMissingFrame(lines));
  const header = BEGIN.exec(lines[begin]);
  if (!header) throw new FrameError(`the begin line is malformed: ${JSON.stringify(lines[begin].slice(0, 120))}`);
  const declared = Number(header[1]);
  if (declared > maxBytes) {
    throw new FrameError(`the profile is ${declared} bytes, more than the ${maxBytes} bytes this path carries`);
  }
  const end = lines.indexOf(END, begin + 1);
  const body = lines.slice(begin + 1, end < 0 ? undefined : end).filter((line) => line !== '');
  const bad = body.findIndex((line) => !BASE64_LINE.test(line));
  if (bad >= 0) throw new FrameError(`line ${begin + bad + 2} of the log is not base64: the transfer is corrupt`);
  const bytes = Buffer.from(body.join(''), 'base64');
  if (end < 0) {
    throw new FrameError(`the log is truncated: it ends after ${bytes.length} of ${declared} bytes, with no end line`);
  }
  if (bytes.length !== declared) {
    throw new FrameError(`the transfer is truncated or corrupt: ${bytes.length} bytes arrived, the begin line says ${declared}`);
  }
  if (sha256(bytes) !== header[2]) throw new FrameError('the transfer is corrupt: the sha256 of what arrived does not match the begin line');
  return bytes;
}

/** The collector's own error line, if the log has one. */
export function collectorError(log: string): string | undefined {
  const line = log
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(COLLECTOR_ERROR_PREFIX));
  return line?.slice(COLLECTOR_ERROR_PREFIX.length).trim();
}

function describeMissingFrame(lines: string[]): string {
  const printed = lines.filter((line) => line.trim() !== '');
  if (printed.length === 0) return 'the collector printed nothing';
  if (printed.some((line) => line === END || (line.length === LINE_CHARS && BASE64_LINE.test(line)))) {
    return 'the log has no begin line: its start is missing (was the container log rotated?)';
  }
  return `the log has no profile; it ends with ${JSON.stringify(printed[printed.length - 1].slice(0, 200))}`;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
