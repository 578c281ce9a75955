import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { KEYS } from '../src/parameters/schema';
import { request, serve } from './support/http-json';

// The built service as a process, as `npm start` runs it: no cluster configured, signals for real.
const ROOT = path.join(__dirname, '..');
const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));

interface Running {
  child: ChildProcess;
  url: string;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

async function startProcess(env: Record<string, string> = {}): Promise<Running> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-home-'));
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), ['dist/main.js'], {
    cwd: ROOT,
    // A bare environment: no KUBECONFIG, an empty HOME, so no cluster is found.
    env: { PATH: process.env.PATH ?? '', HOME: home, PORT: '0', DATA_ROOT: path.join(home, 'data'), ADVERTISE_ADDRESS: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service did not start')), 15_000);
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line);
      lines.push(entry);
      if (entry.msg === 'go-profiler listening') {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${entry.port}`);
      }
    });
  });
  return { child, url, lines, exited };
}

/** Runs the built service until it exits by itself (or 15 s pass): for a start that must fail. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-home-'));
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), ['dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home, PORT: '0', DATA_ROOT: path.join(home, 'data'), ADVERTISE_ADDRESS: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

test('starts with no cluster, serves an http source, and says so in its log', async () => {
  const source = await serve((_req, res) => res.writeHead(200).end(HEAP));
  const svc = await startProcess();
  try {
    expect(svc.lines.some((l) => String(l.msg).includes('no Kubernetes cluster configured'))).toBe(true);
    const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Heap' } });
    expect(answer.status).toBe(200);
    const secret = await request(`${svc.url}/processor/goProfiler`, {
      body: { [KEYS.source]: 'https://127.0.0.1:9', [KEYS.type]: 'Heap', [KEYS.secretName]: 's' },
    });
    expect(secret.status).toBe(500);
    expect(secret.json().error).toMatch(/no Kubernetes cluster is configured/);
  } finally {
    svc.child.kill('SIGKILL');
    await source.close();
  }
});

test('SIGTERM: the in-flight request finishes, new ones are refused, viewers close, exit 0', async () => {
  // A source that takes a second to answer, so the request is in flight when the signal comes.
  const slow = await serve((_req, res) => setTimeout(() => res.writeHead(200).end(HEAP), 1000));
  const svc = await startProcess({ SHUTDOWN_GRACE_SECONDS: '10' });
  try {
    const first = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: `${slow.url}/debug/pprof/heap`, [KEYS.type]: 'heap' } });
    const port = Number(new URL(first.json()['diagnoser.runtime.go_profiler.result.viewer_url']).port);
    const inFlight = request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: slow.url, [KEYS.type]: 'heap' } });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    svc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const late = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: slow.url, [KEYS.type]: 'heap' } }).then(
      (answer) => String(answer.status),
      (error: Error) => error.message,
    );
    expect(late).toMatch(/^503$|ECONNREFUSED/);
    expect((await inFlight).status).toBe(200);
    expect(await svc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(request(`http://127.0.0.1:${port}/api/profile`)).rejects.toThrow(/ECONNREFUSED/);
    expect(svc.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'viewer closed', 'go-profiler stopped']));
  } finally {
    svc.child.kill('SIGKILL');
    await slow.close();
  }
});

test('KUBECONFIG naming a missing file: skipped and logged once, no cluster, http sources served', async () => {
  const source = await serve((_req, res) => res.writeHead(200).end(HEAP));
  const missing = path.join(os.tmpdir(), `go-profiler-no-such-kubeconfig-${process.pid}`);
  const svc = await startProcess({ KUBECONFIG: [missing, missing].join(path.delimiter) });
  try {
    const skipped = svc.lines.filter((l) => l.level === 40 && l.file === missing);
    expect(skipped).toHaveLength(1);
    expect(String(skipped[0].msg)).toContain(missing);
    expect(svc.lines.some((l) => String(l.msg).includes('no Kubernetes cluster configured'))).toBe(true);
    const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Heap' } });
    expect(answer.status).toBe(200);
    const secret = await request(`${svc.url}/processor/goProfiler`, {
      body: { [KEYS.source]: 'https://127.0.0.1:9', [KEYS.type]: 'Heap', [KEYS.secretName]: 's' },
    });
    expect(secret.json().error).toMatch(/none of the KUBECONFIG files exists/);
  } finally {
    svc.child.kill('SIGKILL');
    await source.close();
  }
});

test('KUBECONFIG naming a file that is not a kubeconfig: the service does not start, and says which file', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-kubeconfig-'));
  const bad = path.join(folder, 'broken.yaml');
  fs.writeFileSync(bad, 'clusters: [oops\n');
  try {
    const run = await runToExit({ KUBECONFIG: [path.join(folder, 'missing'), bad].join(path.delimiter) });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain(`go-profiler: KUBECONFIG: ${bad} cannot be read as a kubeconfig: `);
    expect(run.stdout).not.toContain('go-profiler listening');
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
