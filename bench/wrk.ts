import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.join(__dirname, 'load.lua');

export interface WrkLoad {
  url: string;
  paths: string[];
  method?: string;
  body?: string;
  connections: number;
  seconds: number;
}

/** What wrk measured (bench/load.lua prints it): latencies in ms, statuses by code. */
export interface WrkFigures {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statuses: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  noRetryAfter: number;
}

/** How to install wrk when it is not on the PATH (the bench stops at once, before its long parts, with it). */
export const WRK_MISSING =
  'npm run bench: wrk (HTTP load generator) not found on the PATH; the load part needs it.\n' +
  '  Debian/Ubuntu: apt-get install -y wrk   (as root; apt-get update first if the package is unknown)\n' +
  '  or leave the load part out: BENCH_ONLY=small,medium,large npm run bench';

/** wrk's version ("wrk debian/4.1.0-3+b2"), or undefined when it is missing. */
export function wrkVersion(): string | undefined {
  const found = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return found.error ? undefined : /wrk \S+/.exec(`${found.stdout}${found.stderr}`)?.[0];
}

/** Runs wrk with the bench's Lua script (statuses counted per answer) and its latency percentiles. */
export function runWrk(load: WrkLoad): Promise<WrkFigures> {
  const threads = Math.min(2, load.connections);
  const args = ['-t', String(threads), '-c', String(load.connections), '-d', `${load.seconds}s`, '--timeout', '30s', '--latency', '-s', SCRIPT, `${load.url}${load.paths[0]}`];
  const env = { ...process.env, LOAD_METHOD: load.method ?? 'GET', LOAD_PATHS: load.paths.join(','), ...(load.body ? { LOAD_BODY: load.body } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk ${args.join(' ')}: exit ${code}\n${stdout}${stderr}`));
      const raw = JSON.parse(line.slice('WRK_JSON '.length));
      const ms = (us: number) => us / 1000;
      const seconds = raw.durationUs / 1e6;
      resolve({
        requests: raw.requests,
        seconds,
        requestsPerSecond: raw.requests / seconds,
        errors: raw.errors,
        latencyMs: { p50: ms(raw.latencyUs.p50), p90: ms(raw.latencyUs.p90), p99: ms(raw.latencyUs.p99), max: ms(raw.latencyUs.max), mean: ms(raw.latencyUs.mean) },
        statuses: raw.statuses,
        noRetryAfter: raw.noRetryAfter,
      });
    });
  });
}
