import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeFrame } from '../src/acquire/framing';
import { serve } from './support/http-json';

// The collector entry point as a Job runs it: `node dist/collect.js ...` (built by `npm run build`), a real process.
const ROOT = path.join(__dirname, '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
let source: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  source = await serve((req, res) => {
    if (req.url === '/debug/pprof/heap') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(HEAP);
    else res.writeHead(404).end('404 page not found\n');
  });
});

afterAll(async () => {
  await source?.close();
});

function collect(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE, ['dist/collect.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

const limits = ['--timeout-seconds', '5', '--max-bytes', '1048576'];

test('prints the profile framed on stdout, nothing on stderr, exit 0', async () => {
  const run = await collect('--url', `${source.url}/debug/pprof/heap`, ...limits);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(decodeFrame(run.stdout, 1048576).equals(HEAP)).toBe(true);
});

test.each([
  ['the source answers 404', ['--url', 'SOURCE/nope', ...limits], /^fetching profile from http:\/\/127\.0\.0\.1:\d+\/nope: the source answered 404 Not Found/],
  ['the profile is over --max-bytes', ['--url', 'SOURCE/debug/pprof/heap', '--timeout-seconds', '5', '--max-bytes', '100'], /larger than the limit of 100 bytes \(JOB_MAX_PROFILE_BYTES, what a container log carries\)$/],
  ['--url is missing', limits, /^--url is required$/],
  ['an unknown option', ['--url', 'http://h/', '--token', 'x', ...limits], /Unknown option '--token'/],
  ['a bad limit', ['--url', 'http://h/', '--timeout-seconds', 'soon', '--max-bytes', '1'], /^--timeout-seconds must be a positive integer$/],
])('%s: one line on stderr, nothing on stdout, exit 1', async (_what, args, message) => {
  // SOURCE: the local server's URL, known only once it listens.
  const run = await collect(...args.map((a) => a.replace('SOURCE', source.url)));
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n');
  expect(lines).toEqual([expect.stringMatching(/^go-profiler collect: error: /), '']);
  expect(lines[0].replace('go-profiler collect: error: ', '')).toMatch(message);
});

describe('the mounted Secret', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collect-secret-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a token is never sent over plain http', async () => {
    fs.writeFileSync(path.join(dir, 'token'), 'secret-token-value');
    const run = await collect('--url', `${source.url}/debug/pprof/heap`, '--secret-dir', dir, ...limits);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('go-profiler collect: error: refusing to send the token over plain http\n');
  });

  test('a Secret without a token says so', async () => {
    fs.writeFileSync(path.join(dir, 'ca.crt'), 'not used');
    const run = await collect('--url', 'https://127.0.0.1:1/', '--secret-dir', dir, ...limits);
    expect(run.stderr).toBe('go-profiler collect: error: the mounted Secret has no key "token" (or it is empty)\n');
  });
});
