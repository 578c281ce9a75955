import { spawn } from 'node:child_process';
import net from 'node:net';
import type { ProfileType } from '../src/parameters/profile-types';
import { request } from '../test/support/http-json';
import { goPprofTool } from '../test/support/go-pprof';
import { goEnv } from '../test/support/go-target';
import { percentile, Spread, spread } from './stats';

const POST_PATH = '/processor/goProfiler';

export interface LatencyFigures {
  postMs: { p50: number; p99: number; requests: number };
  sourceMs: { p50: number; p99: number };
  overheadP50Ms: number;
}

/** POST -> answer for a heap profile from a local source, sequentially; and the source's own time for the same bytes. */
export async function measurePostLatency(serviceUrl: string, sourceUrl: string, requests: number): Promise<LatencyFigures> {
  const body = { 'param.diagnoser.runtime.go_profiler.source': sourceUrl, 'param.diagnoser.runtime.go_profiler.type': 'Heap', 'param.diagnoser.runtime.go_profiler.expiration_seconds': '2' };
  const post: number[] = [];
  const source: number[] = [];
  for (let i = 0; i < requests + 10; i++) {
    let started = performance.now();
    const answer = await request(`${serviceUrl}${POST_PATH}`, { body });
    if (answer.status !== 200) throw new Error(`bench POST failed: ${answer.status} ${answer.body}`);
    const took = performance.now() - started;
    started = performance.now();
    await request(`${sourceUrl}/debug/pprof/heap`);
    if (i >= 10) {
      // The first ten warm the JIT and the worker pool.
      post.push(took);
      source.push(performance.now() - started);
    }
  }
  const p50 = percentile(post, 50);
  const s50 = percentile(source, 50);
  return { postMs: { p50, p99: percentile(post, 99), requests }, sourceMs: { p50: s50, p99: percentile(source, 99) }, overheadP50Ms: p50 - s50 };
}

/** POST until the viewer's first page has been served (the page, not only the answer); `type` as the request's. */
export async function measureTimeToViewer(serviceUrl: string, sourceUrl: string, runs: number, type: ProfileType = 'Heap'): Promise<Spread> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const answer = await request(`${serviceUrl}${POST_PATH}`, {
      body: { 'param.diagnoser.runtime.go_profiler.source': sourceUrl, 'param.diagnoser.runtime.go_profiler.type': type, 'param.diagnoser.runtime.go_profiler.expiration_seconds': '30' },
    });
    if (answer.status !== 200) throw new Error(`bench POST failed: ${answer.status} ${answer.body}`);
    const page = await request(`${answer.json()['diagnoser.runtime.go_profiler.result.viewer_url']}/`);
    if (page.status !== 200) throw new Error('viewer page not served');
    times.push(performance.now() - started);
  }
  return spread(times);
}

/**
 * POST -> answer alone (the fetch from a local source, the decode and aggregation in a worker, the raw profile
 * stored, the viewer started), runs in a row; each viewer expires after a few seconds, and the next POST waits
 * until it has, so that a large profile's viewers do not pile up in the service between runs.
 */
export async function measurePostAnswer(serviceUrl: string, sourceUrl: string, runs: number, type: ProfileType = 'Heap'): Promise<Spread> {
  const times: number[] = [];
  const expirationSeconds = 3;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const answer = await request(`${serviceUrl}${POST_PATH}`, {
      body: { 'param.diagnoser.runtime.go_profiler.source': sourceUrl, 'param.diagnoser.runtime.go_profiler.type': type, 'param.diagnoser.runtime.go_profiler.expiration_seconds': String(expirationSeconds) },
    });
    const took = performance.now() - started;
    if (answer.status !== 200) throw new Error(`bench POST failed: ${answer.status} ${answer.body}`);
    times.push(took);
    await new Promise((r) => setTimeout(r, expirationSeconds * 1000 + 1000));
  }
  return spread(times);
}

/**
 * `go tool pprof -http` from start until it answers its first page: what KubeDiag's processor waits for. Its
 * default page (the graph) needs a system Graphviz; /ui/top does not, and is served once the profile is parsed.
 */
export async function measurePprofHttp(file: string, runs: number): Promise<Spread> {
  const pprofTool = await goPprofTool(); // as in measureDecode: built before, run without the go command
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(pprofTool, [`-http=127.0.0.1:${port}`, '-no_browser', file], { env: goEnv(), stdio: 'ignore' });
    try {
      for (;;) {
        const ok = await request(`http://127.0.0.1:${port}/ui/top`).then((a) => a.status === 200, () => false);
        if (ok) break;
        if (performance.now() - started > 600_000) throw new Error('go tool pprof -http never answered');
        await new Promise((r) => setTimeout(r, 25));
      }
      times.push(performance.now() - started);
    } finally {
      child.kill('SIGKILL');
    }
  }
  return spread(times);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
