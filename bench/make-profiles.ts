import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { goEnv } from '../test/support/go-target';
import { goProgramSource } from './generate-go-program';

const run = promisify(execFile);
export const BENCH_DIR = path.join(__dirname, '..', '.cache', 'bench');

export interface BenchProfile {
  name: string;
  file: string;
  samples: number;
  gzippedBytes: number;
  rawBytes: number;
}

/** small ~100 KB, medium ~2 MB, large ~1M samples (~20 MB gzipped): distinct stacks each. */
export const SIZES: Array<{ name: string; samples: number; depth: number }> = [
  { name: 'small', samples: 4_000, depth: 12 },
  { name: 'medium', samples: 90_000, depth: 12 },
  { name: 'large', samples: 1_000_000, depth: 12 },
];

/** Builds the generated Go program and writes one heap profile per size (reused when present). */
export async function makeProfiles(sizes = SIZES): Promise<BenchProfile[]> {
  const src = path.join(BENCH_DIR, 'gen');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'main.go'), goProgramSource());
  fs.writeFileSync(path.join(src, 'go.mod'), 'module benchgen\n\ngo 1.19\n');
  const binary = path.join(src, 'benchgen');
  await run('go', ['build', '-o', binary, '.'], { cwd: src, env: goEnv() });
  const made: BenchProfile[] = [];
  for (const size of sizes) {
    const file = path.join(BENCH_DIR, `${size.name}.pb.gz`);
    if (!fs.existsSync(file)) {
      await run(binary, ['-samples', String(size.samples), '-depth', String(size.depth), '-out', `${file}.tmp`], { maxBuffer: 1 << 20 });
      fs.renameSync(`${file}.tmp`, file);
    }
    const gz = fs.readFileSync(file);
    made.push({ name: size.name, file, samples: size.samples, gzippedBytes: gz.length, rawBytes: (await import('node:zlib')).gunzipSync(gz).length });
  }
  return made;
}
