// Builds and runs test/fixtures/go-target: a real Go program serving
// net/http/pprof, used as the profile source in tests.
import { execFile, spawn } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const GO_TARGET_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'go-target');
export const GO_TARGET_BINARY = path.join(REPO_ROOT, '.cache', 'go-target', 'gotarget');

const LISTEN_TIMEOUT_MS = 20_000;
// After LISTENING the heap and blocked goroutines are in place; this extra
// wait lets the CPU burner and the block/mutex contention accumulate samples.
const SETTLE_MS = 1_000;

/**
 * Environment for every `go` invocation: caches inside the repo (HOME may be
 * read-only in CI), no network (GOPROXY=off, stdlib only), no toolchain
 * switching, no cgo (no C compiler needed), and UTC so `go tool pprof`'s
 * "Time:" header does not depend on the machine's zone.
 */
export function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOCACHE: path.join(REPO_ROOT, '.cache', 'go-build'),
    GOPATH: path.join(REPO_ROOT, '.cache', 'gopath'),
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '',
    CGO_ENABLED: '0',
    TZ: 'UTC',
  };
}

const building = new Map<string, Promise<string>>();

/**
 * Builds the Go target once per process (reusing an up-to-date binary); returns its path. With an experiment
 * (GOEXPERIMENT, e.g. goroutineleakprofile), a binary of its own beside the plain one.
 */
export function buildGoTarget(experiment = ''): Promise<string> {
  let build = building.get(experiment);
  if (!build) {
    build = buildBinary(experiment).catch((err: unknown) => {
      building.delete(experiment); // let a later call retry
      throw err;
    });
    building.set(experiment, build);
  }
  return build;
}

async function buildBinary(experiment: string): Promise<string> {
  const binary = experiment ? `${GO_TARGET_BINARY}-${experiment}` : GO_TARGET_BINARY;
  if (await isUpToDate(binary)) return binary;
  await mkdir(path.dirname(binary), { recursive: true });
  // Build to a unique name and rename: parallel jest workers may race here.
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    // -trimpath: profiles then name "gotarget/main.go", not this checkout's path.
    await execFileAsync('go', ['build', '-trimpath', '-o', tmp, '.'], {
      cwd: GO_TARGET_DIR,
      env: { ...goEnv(), ...(experiment ? { GOEXPERIMENT: experiment } : {}) },
    });
    await rename(tmp, binary);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`go build of ${GO_TARGET_DIR} failed: ${describe(err)}`);
  }
  return binary;
}

async function isUpToDate(binary: string): Promise<boolean> {
  try {
    const bin = await stat(binary);
    for (const src of ['main.go', 'go.mod']) {
      if ((await stat(path.join(GO_TARGET_DIR, src))).mtimeMs >= bin.mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

export interface GoTargetOptions {
  /** PEM files; with both, the target serves HTTPS. */
  tls?: { cert: string; key: string };
  /** If set, /debug/pprof/ requires `Authorization: Bearer <token>`. */
  token?: string;
  /** Built with this GOEXPERIMENT (e.g. goroutineleakprofile, for /debug/pprof/goroutineleak in Go 1.26). */
  experiment?: string;
  /** Percent of one core its CPU burner takes (-cpu-duty), default 100. */
  cpuDuty?: number;
}

export interface GoTarget {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  stop(): Promise<void>;
}

/** Starts the Go target on 127.0.0.1 with a kernel-chosen port. */
export async function startGoTarget(opts: GoTargetOptions = {}): Promise<GoTarget> {
  const binary = await buildGoTarget(opts.experiment);
  const args = ['-addr', '127.0.0.1:0'];
  if (opts.tls) args.push('-tls-cert', opts.tls.cert, '-tls-key', opts.tls.key);
  if (opts.token) args.push('-token', opts.token);
  if (opts.cpuDuty !== undefined) args.push('-cpu-duty', String(opts.cpuDuty));

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`go target printed no LISTENING line in ${LISTEN_TIMEOUT_MS} ms`)),
        LISTEN_TIMEOUT_MS,
      );
      const done = () => clearTimeout(timer);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^LISTENING (https?:\/\/\S+)$/.exec(line);
        if (m) {
          done();
          resolve(m[1]);
        }
      });
      child.once('error', (err) => {
        done();
        reject(err);
      });
      void exited.then(() => {
        done();
        reject(new Error(`go target exited early (code ${child.exitCode}): ${stderr.trim()}`));
      });
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'stderr' in err && String(err.stderr).trim()) {
    return String(err.stderr).trim();
  }
  return err instanceof Error ? err.message : String(err);
}
