import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import yaml from 'js-yaml';
import { request } from '../test/support/http-json';
import { DuringLoad, probeDuring, ProcessSnapshot, snapshot } from './load-probes';
import { serveProfiles } from './profile-server';
import { startServiceProcess } from './service-process';
import { runWrk, WrkFigures, WrkLoad } from './wrk';

const ROOT = path.join(__dirname, '..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const POST_PATH = '/processor/goProfiler';
/** Viewers opened by the POST load live this long, so they come and go during it. */
export const POST_EXPIRATION_SECONDS = 2;
/** Far above what 2 s of viewers at any rate this machine reaches: the viewer cap is not what the POST load measures. */
export const LOAD_MAX_VIEWERS = 10_000;
/** After a load: past the 5 s keep-alive of the viewers' servers, whose pooled proxy connections then close. */
export const SETTLE_MS = 6_000;
/** The warm-up load before the baseline, at most this long. */
export const WARMUP_SECONDS = 10;
/** Margins the after-load figures must be within. */
export const MARGINS = { fds: 10, rss: 1.5 };

export interface LoadRun {
  name: string;
  operation: string;
  connections: number;
  documented: string[];
  wrk: WrkFigures;
  during: DuringLoad;
  /** Before the warm-up load; before is after it. */
  cold: ProcessSnapshot;
  before: ProcessSnapshot;
  after: ProcessSnapshot;
  /** The machine's 1-minute load average just before the load. */
  loadAverage: number;
  /** Statuses not in openapi.yaml for the operation, 503s without Retry-After, socket errors, /healthz failures, margins missed. */
  failures: string[];
}

export interface LoadFigures {
  seconds: number;
  runs: LoadRun[];
}

/**
 * wrk against the built service in a process of its own: POSTs of a small real profile (test/fixtures/profiles/
 * heap.pb.gz from a local source in another process), then a fresh service with one viewer of the large profile
 * under its flame graph and top APIs; /healthz probed throughout, fds and RSS read before and after each.
 */
export async function measureLoad(largeProfile: string, seconds: number): Promise<LoadFigures> {
  const spec = yaml.load(fs.readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, { responses: object }>> };
  const documented = (...ops: Array<[string, string]>) => [...new Set(ops.flatMap(([p, method]) => Object.keys(spec.paths[p][method].responses)))].sort();
  const post = await postLoad(seconds, documented([POST_PATH, 'post']));
  const viewer = await viewerLoad(largeProfile, seconds, documented(['/viewer/{id}/api/flamegraph', 'get'], ['/viewer/{id}/api/top', 'get']));
  return { seconds, runs: [post, viewer] };
}

async function postLoad(seconds: number, documented: string[]): Promise<LoadRun> {
  const source = await startFixtureSource();
  const service = await startLoadService();
  try {
    const body = JSON.stringify({
      'param.diagnoser.runtime.go_profiler.source': source.url,
      'param.diagnoser.runtime.go_profiler.type': 'Heap',
      'param.diagnoser.runtime.go_profiler.expiration_seconds': String(POST_EXPIRATION_SECONDS),
    });
    const answer = await request(`${service.url}${POST_PATH}`, { raw: body });
    if (answer.status !== 200) throw new Error(`load bench: a first POST answered ${answer.status} ${answer.body}`);
    await untilNoViewers(service.url);
    return await underLoad('POST', `POST ${POST_PATH}`, service, documented, { url: service.url, paths: [POST_PATH], method: 'POST', body, connections: 200, seconds });
  } finally {
    await service.stop();
    source.child.kill('SIGTERM');
  }
}

async function viewerLoad(largeProfile: string, seconds: number, documented: string[]): Promise<LoadRun> {
  const source = await serveProfiles({ large: largeProfile });
  const service = await startLoadService();
  try {
    const answer = await request(`${service.url}${POST_PATH}`, {
      body: { 'param.diagnoser.runtime.go_profiler.source': `${source.url}/large`, 'param.diagnoser.runtime.go_profiler.type': 'Heap', 'param.diagnoser.runtime.go_profiler.expiration_seconds': String(seconds + 600) },
    });
    if (answer.status !== 200) throw new Error(`load bench: opening the large viewer answered ${answer.status} ${answer.body}`);
    const id = /\/viewer\/([0-9a-f]{32})\//.exec(answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'])?.[1];
    const paths = [`/viewer/${id}/api/flamegraph`, `/viewer/${id}/api/top`];
    for (const p of paths) {
      // The first flame graph keeps the view's stacks for the viewer's life: in the baseline, not counted as growth.
      const warm = await request(`${service.url}${p}`);
      if (warm.status !== 200) throw new Error(`load bench: ${p} answered ${warm.status}`);
    }
    return await underLoad('viewer', 'GET flamegraph + top (alternating), 1M-sample viewer', service, documented, { url: service.url, paths, connections: 50, seconds });
  } finally {
    await service.stop();
    await source.close();
  }
}

type Service = Awaited<ReturnType<typeof startLoadService>>;

async function underLoad(name: string, operation: string, service: Service, documented: string[], load: WrkLoad): Promise<LoadRun> {
  const pid = service.child.pid as number;
  const cold = await settled(service.child);
  // The same load, shorter, before the baseline: the JIT, the heaps (the workers' too) and the allocator reach their
  // working size, so what grows during the load itself is what it keeps.
  const warmup = await runWrk({ ...load, seconds: Math.min(WARMUP_SECONDS, load.seconds) });
  if (name === 'POST') await untilNoViewers(service.url);
  const before = await settled(service.child);
  const loadAverage = os.loadavg()[0];
  const wrk = runWrk(load);
  const during = await probeDuring(service.url, pid, wrk);
  const figures = await wrk;
  if (name === 'POST') await untilNoViewers(service.url);
  const after = await settled(service.child);
  const failures: string[] = [];
  for (const [part, run] of [['', figures], [' during the warm-up', warmup]] as const) {
    for (const [status, count] of Object.entries(run.statuses)) {
      if (!documented.includes(status)) failures.push(`${count} answers with status ${status}${part}, not in openapi.yaml for this operation`);
    }
  }
  for (const [part, run] of [['', figures], [' during the warm-up', warmup]] as const) {
    for (const [kind, count] of Object.entries(run.errors)) if (count > 0) failures.push(`${count} socket ${kind} errors${part}`);
    if (run.noRetryAfter > 0) failures.push(`${run.noRetryAfter} answers with status 503 without Retry-After${part}`);
  }
  if (during.health.failed > 0) failures.push(`${during.health.failed} /healthz probes failed`);
  if (after.fds > before.fds + MARGINS.fds) failures.push(`fds after ${after.fds} > before ${before.fds} + ${MARGINS.fds}`);
  if (after.rssMb > before.rssMb * MARGINS.rss) failures.push(`RSS after ${after.rssMb.toFixed(0)} MB > ${MARGINS.rss} x before ${before.rssMb.toFixed(0)} MB`);
  return { name, operation, connections: load.connections, documented, wrk: figures, during, cold, before, after, loadAverage, failures };
}

/**
 * The service with a GC hook for the measurements (see gc-on-signal.js) and room for every viewer the POST load
 * opens; answers name /viewer/<id>/ on the main port (PUBLIC_BASE_URL, as behind an Ingress), which the load uses.
 */
function startLoadService() {
  return startServiceProcess({ MAX_VIEWERS: String(LOAD_MAX_VIEWERS), PUBLIC_BASE_URL: 'http://bench' }, ['--expose-gc', '-r', './bench/gc-on-signal.js']);
}

/** fds and RSS once connections have closed and garbage is collected. */
async function settled(child: ChildProcess): Promise<ProcessSnapshot> {
  child.kill('SIGUSR2');
  await sleep(SETTLE_MS);
  child.kill('SIGUSR2');
  await sleep(500);
  return snapshot(child.pid as number);
}

async function untilNoViewers(serviceUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const metrics = (await request(`${serviceUrl}/metrics`)).body.toString();
    if (/^goprofiler_live_viewers 0$/m.test(metrics)) return;
    await sleep(250);
  }
  throw new Error('load bench: viewers still live 60 s after the POST load');
}

/** demo/pprof-source.js (the real Go profiles of test/fixtures/profiles) in a process of its own, off the harness's event loop. */
async function startFixtureSource(): Promise<{ url: string; child: ChildProcess }> {
  const script = "require('./demo/pprof-source.js').startPprofSource(0).then((s) => console.log(s.url))";
  const child = spawn(NODE, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`load bench: the fixture source exited (${code})`)));
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  return { url, child };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
