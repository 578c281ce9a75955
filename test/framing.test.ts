import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { collectorError, decodeFrame, encodeFrame, FRAME_MAGIC, framedSize } from '../src/acquire/framing';

// The frame the collector Job prints and the service reads back from the pod log (src/acquire/framing.ts),
// exercised on the real profiles captured from the Go target.
const PROFILES = path.join(__dirname, 'fixtures', 'profiles');
const fixtures = fs.readdirSync(PROFILES).filter((f) => f.endsWith('.pb.gz'));
const HEAP = fs.readFileSync(path.join(PROFILES, 'heap.pb.gz'));
const MAX = 4 * 1024 * 1024;

function lines(text: string): string[] {
  return text.split('\n');
}

function errorOf(log: string, max = MAX): string {
  try {
    decodeFrame(log, max);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the frame to be refused');
}

describe('frame round trip', () => {
  test.each(fixtures)('%s comes back byte for byte, and framedSize is the exact length', (name) => {
    const bytes = fs.readFileSync(path.join(PROFILES, name));
    const frame = encodeFrame(bytes);
    expect(decodeFrame(frame, MAX).equals(bytes)).toBe(true);
    expect(Buffer.byteLength(frame)).toBe(framedSize(bytes.length));
  });

  test('the begin line carries the magic word, the length and the sha256; body lines are 76 characters', () => {
    const frame = lines(encodeFrame(HEAP));
    expect(frame[0]).toBe(`${FRAME_MAGIC} BEGIN length=${HEAP.length} sha256=${crypto.createHash('sha256').update(HEAP).digest('hex')}`);
    expect(frame.slice(1, -3).every((line) => line.length === 76)).toBe(true);
    expect(frame.at(-2)).toBe(`${FRAME_MAGIC} END`);
    expect(frame.at(-1)).toBe('');
  });

  test('an empty profile is a valid frame (the service then says the body is empty)', () => {
    expect(decodeFrame(encodeFrame(Buffer.alloc(0)), MAX).length).toBe(0);
  });

  test('lines around the frame (a runtime warning on stderr) and CRLF endings do not matter', () => {
    const log = `(node:1) Warning: something\n${encodeFrame(HEAP).replace(/\n/g, '\r\n')}trailing line\n`;
    expect(decodeFrame(log, MAX).equals(HEAP)).toBe(true);
  });
});

describe('a damaged transfer is an error that says what is wrong', () => {
  const frame = lines(encodeFrame(HEAP));

  test('cut before the end line: truncated, with how much arrived', () => {
    const cut = frame.slice(0, 40).join('\n');
    expect(errorOf(cut)).toBe(`the log is truncated: it ends after ${39 * 57} of ${HEAP.length} bytes, with no end line`);
  });

  test('a line missing in the middle: the length does not match', () => {
    const holed = [...frame.slice(0, 10), ...frame.slice(11)].join('\n');
    expect(errorOf(holed)).toBe(`the transfer is truncated or corrupt: ${HEAP.length - 57} bytes arrived, the begin line says ${HEAP.length}`);
  });

  test('one character changed: the checksum does not match', () => {
    const line = frame[20];
    const changed = [...frame];
    changed[20] = `${line[0] === 'A' ? 'B' : 'A'}${line.slice(1)}`;
    expect(errorOf(changed.join('\n'))).toBe('the transfer is corrupt: the sha256 of what arrived does not match the begin line');
  });

  test('a foreign line inside the frame: corrupt, naming the line', () => {
    const mixed = [...frame.slice(0, 5), 'go-profiler collect: error: oops', ...frame.slice(5)].join('\n');
    expect(errorOf(mixed)).toBe('line 6 of the log is not base64: the transfer is corrupt');
  });

  test('the start of the log gone (rotated): no begin line, and the likely cause', () => {
    expect(errorOf(frame.slice(30).join('\n'))).toBe('the log has no begin line: its start is missing (was the container log rotated?)');
  });

  test('a malformed begin line', () => {
    expect(errorOf(`${FRAME_MAGIC} BEGIN length=x\n`)).toMatch(/^the begin line is malformed/);
  });

  test('nothing printed, or something else printed', () => {
    expect(errorOf('')).toBe('the collector printed nothing');
    expect(errorOf('Killed\n')).toBe('the log has no profile; it ends with "Killed"');
  });

  test('a declared length over the limit is refused before decoding', () => {
    expect(errorOf(encodeFrame(HEAP), 1000)).toBe(`the profile is ${HEAP.length} bytes, more than the 1000 bytes this path carries`);
  });
});

test("collectorError finds the collector's own line, the last one when there are several", () => {
  const log = 'warning\ngo-profiler collect: error: first\ngo-profiler collect: error: connection refused\n';
  expect(collectorError(log)).toBe('connection refused');
  expect(collectorError('no such line\n')).toBeUndefined();
});

test('the largest profile the Job path carries fits in one kubelet log file with room to spare', () => {
  // CRI log lines are "<RFC 3339 nano time> stdout F <line>\n"; kubelet's default containerLogMaxSize is 10 MiB.
  const criPrefix = '2026-01-01T00:00:00.000000000Z stdout F '.length;
  const frame = encodeFrame(crypto.randomBytes(MAX));
  const onDisk = Buffer.byteLength(frame) + lines(frame).length * criPrefix;
  expect(onDisk).toBeLessThan(10 * 1024 * 1024 * 0.85);
  expect(onDisk).toBeGreaterThan(8 * 1024 * 1024);
});
