// Builds and runs the bench's Go program shaped like a large Go server (bench/generate-server-program.ts), so tests
// get real profiles of the shapes the bench measures: deep stacks, locations with inlined lines, `bytes` labels
// on heap samples, pprof.Do string labels on CPU samples. Built with fewer functions than the bench's (a faster
// build), cached by the source's hash under .cache/server-program/.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { serverProgramSource } from '../../bench/generate-server-program';
import { goEnv, REPO_ROOT } from './go-target';

const execFileAsync = promisify(execFile);

/** Enough functions for tens of thousands of distinct paths, few enough for a build of a second or two. */
export const TEST_SERVER_FUNCTIONS = 300;

const building = new Map<number, Promise<string>>();

/** The program's binary for `functions` functions, built once (per source, across runs); returns its path. */
export function buildServerProgram(functions = TEST_SERVER_FUNCTIONS): Promise<string> {
  let build = building.get(functions);
  if (!build) {
    build = buildOnce(functions).catch((err: unknown) => {
      building.delete(functions); // let a later call retry
      throw err;
    });
    building.set(functions, build);
  }
  return build;
}

async function buildOnce(functions: number): Promise<string> {
  const source = serverProgramSource(functions);
  const goMod = 'module benchserver\n\ngo 1.24\n';
  const hash = createHash('sha256').update(source).update(goMod).digest('hex').slice(0, 16);
  const dir = path.join(REPO_ROOT, '.cache', 'server-program', hash);
  const binary = path.join(dir, 'benchserver');
  if (await exists(binary)) return binary;
  // Sources and binary under unique names, then renamed: parallel jest workers may build at once.
  const work = path.join(dir, `build.${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    await writeFile(path.join(work, 'main.go'), source);
    await writeFile(path.join(work, 'go.mod'), goMod);
    await execFileAsync('go', ['build', '-trimpath', '-o', 'benchserver', '.'], { cwd: work, env: goEnv(), maxBuffer: 16 << 20 });
    await rename(path.join(work, 'benchserver'), binary);
  } catch (err) {
    throw new Error(`go build of the server program failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export type ServerMode = 'heap' | 'cpu' | 'goroutine';

/**
 * Runs the program in `mode` with its flags (e.g. `{ paths: 3000 }` for -paths 3000) and returns the profile it
 * wrote to `out`.
 */
export async function writeServerProfile(mode: ServerMode, out: string, flags: Record<string, number | string> = {}, functions = TEST_SERVER_FUNCTIONS): Promise<string> {
  const binary = await buildServerProgram(functions);
  const args = ['-mode', mode, '-out', out, ...Object.entries(flags).flatMap(([flag, value]) => [`-${flag}`, String(value)])];
  await execFileAsync(binary, args, { env: goEnv(), maxBuffer: 16 << 20 });
  return out;
}
