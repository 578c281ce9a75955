import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ProfileType } from '../src/parameters/profile-types';
import { goEnv } from '../test/support/go-target';
import { goProgramSource } from './generate-go-program';
import { SERVER_FUNCTIONS, serverProgramSource } from './generate-server-program';
import { ProfileShape, profileShape } from './profile-shape';

const run = promisify(execFile);
export const BENCH_DIR = path.join(__dirname, '..', '.cache', 'bench');

export type ProfileKind = 'heap' | 'cpu' | 'goroutine';

export interface BenchProfile {
  name: string;
  kind: ProfileKind;
  /** The request's `type` for it: the service fetches it as that. */
  type: ProfileType;
  /** Which program wrote it, and how (for RESULTS.md). */
  writtenBy: string;
  file: string;
  /** The goroutine?debug=2 dump written with a goroutine profile. */
  dump?: { file: string; bytes: number };
  samples: number;
  gzippedBytes: number;
  rawBytes: number;
  shape: ProfileShape;
}

/** A heap profile of bench/generate-go-program.ts: `samples` distinct stacks of `depth` frames. */
export interface HeapSpec {
  name: string;
  samples: number;
  depth: number;
}

/** A profile of the server-shaped program (bench/generate-server-program.ts), run with these flags. */
export interface ServerSpec {
  name: string;
  mode: ProfileKind;
  flags: Record<string, number>;
  /** Environment for the run beside goEnv(). */
  env?: Record<string, string>;
}

export type ProfileSpec = HeapSpec | ServerSpec;

/** small ~100 KB, medium ~2 MB, large ~1M samples (~20 MB gzipped): distinct stacks each. */
export const SIZES: HeapSpec[] = [
  { name: 'small', samples: 4_000, depth: 12 },
  { name: 'medium', samples: 90_000, depth: 12 },
  { name: 'large', samples: 1_000_000, depth: 12 },
];

/** Shaped like the profiles of a large Go server (issue #14). */
export const SERVER_PROFILES: ServerSpec[] = [
  // 1M live allocations along distinct deep paths: ~46 MB gzipped, ~80 MB raw, ~30k locations (12k multi-line),
  // 32 locations / 53 frames per sample on average, a `bytes` label on every sample. About 30 s to write.
  { name: 'deep-heap', mode: 'heap', flags: { paths: 1_000_000 } },
  // Workers under pprof.Do labels (handler, tenant, worker) along 50k deep paths (28 levels and more). The samples
  // a CPU profile gets are bounded by the kernel's CPU timers (about CONFIG_HZ per busy CPU, whatever -hz asks
  // beyond it) and by the CPU time the program gets, so GOMAXPROCS is pinned and the run is long: 100 s on 2 CPUs at
  // HZ=250 gives 20-50k samples (the fewer, the busier the machine); at HZ=1000, a few times more.
  { name: 'cpu-labels', mode: 'cpu', flags: { paths: 50_000, 'min-depth': 28, seconds: 100, hz: 1000 }, env: { GOMAXPROCS: '2' } },
  // 100k goroutines parked along 3000 paths, with the goroutine?debug=2 dump (the runtime stops writing it at 64 MiB).
  { name: 'goroutines', mode: 'goroutine', flags: { goroutines: 100_000, paths: 3000 } },
];

export const ALL_PROFILES: ProfileSpec[] = [...SIZES, ...SERVER_PROFILES];

const TYPES: Record<ProfileKind, ProfileType> = { heap: 'Heap', cpu: 'Profile', goroutine: 'Goroutine' };

function isServer(spec: ProfileSpec): spec is ServerSpec {
  return 'mode' in spec;
}

/**
 * Writes each profile asked for into .cache/bench/ (reused when present: delete a file to have it written again),
 * building the Go program that writes it only when one is missing.
 */
export async function makeProfiles(specs: ProfileSpec[] = SIZES): Promise<BenchProfile[]> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const made: BenchProfile[] = [];
  const binaries: { heap?: Promise<string>; server?: Promise<string> } = {};
  for (const spec of specs) {
    const file = path.join(BENCH_DIR, `${spec.name}.pb.gz`);
    const dumpFile = isServer(spec) && spec.mode === 'goroutine' ? path.join(BENCH_DIR, `${spec.name}.debug2.txt`) : undefined;
    if (!fs.existsSync(file) || (dumpFile && !fs.existsSync(dumpFile))) {
      if (isServer(spec)) {
        const binary = await (binaries.server ??= buildProgram('server-gen', serverProgramSource(), 'benchserver', '1.24', ['-trimpath']));
        const flags = Object.entries(spec.flags).flatMap(([flag, value]) => [`-${flag}`, String(value)]);
        const dump = dumpFile ? ['-dump', `${dumpFile}.tmp`] : [];
        console.log(`[bench] writing ${spec.name}: ${path.basename(binary)} -mode ${spec.mode} ${flags.join(' ')}`);
        await run(binary, ['-mode', spec.mode, ...flags, ...dump, '-out', `${file}.tmp`], { env: { ...goEnv(), ...spec.env }, maxBuffer: 1 << 20 });
        // The dump first: a profile file present means its dump is too.
        if (dumpFile) fs.renameSync(`${dumpFile}.tmp`, dumpFile);
      } else {
        const binary = await (binaries.heap ??= buildProgram('gen', goProgramSource(), 'benchgen', '1.19', []));
        await run(binary, ['-samples', String(spec.samples), '-depth', String(spec.depth), '-out', `${file}.tmp`], { maxBuffer: 1 << 20 });
      }
      fs.renameSync(`${file}.tmp`, file);
    }
    const shape = profileShape(file);
    const kind = isServer(spec) ? spec.mode : 'heap';
    made.push({
      name: spec.name,
      kind,
      type: TYPES[kind],
      writtenBy: isServer(spec)
        ? `server-shaped program (${SERVER_FUNCTIONS} functions): \`-mode ${spec.mode} ${Object.entries(spec.flags).map(([f, v]) => `-${f} ${v}`).join(' ')}\`${spec.env ? ` with ${Object.entries(spec.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`
        : `heap program (300 functions): \`-samples ${spec.samples} -depth ${spec.depth}\``,
      file,
      dump: dumpFile ? { file: dumpFile, bytes: fs.statSync(dumpFile).size } : undefined,
      samples: shape.samples,
      gzippedBytes: fs.statSync(file).size,
      rawBytes: shape.rawBytes,
      shape,
    });
  }
  return made;
}

/** Writes a generated program's source into .cache/bench/<dir> and builds it (Go's build cache makes a rebuild quick). */
async function buildProgram(dir: string, source: string, name: string, goVersion: string, flags: string[]): Promise<string> {
  const src = path.join(BENCH_DIR, dir);
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'main.go'), source);
  fs.writeFileSync(path.join(src, 'go.mod'), `module ${name}\n\ngo ${goVersion}\n`);
  const binary = path.join(src, name);
  await run('go', ['build', ...flags, '-o', binary, '.'], { cwd: src, env: goEnv(), maxBuffer: 16 << 20 });
  return binary;
}
