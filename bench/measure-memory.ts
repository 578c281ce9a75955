import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Spread, spread } from './stats';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');

/**
 * Memory held per live viewer as a multiple of the raw (decompressed) profile, each run in a fresh process: by RSS,
 * and accounted (the viewers' own arrays plus the main heap's growth; see viewer-memory-once.ts). A goroutine
 * profile's viewer also holds its debug=2 dump (the text, until its goroutine view parses it).
 */
export async function measureViewerMemory(file: string, viewers: number, runs: number, type = 'Heap', dumpFile?: string): Promise<{ ratio: Spread; perViewerMb: Spread; accountedRatio: Spread }> {
  const ratios: number[] = [];
  const sizes: number[] = [];
  const accounted: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(
      path.join(ROOT, 'node_modules/.bin/node'),
      ['--expose-gc', '-r', './test/support/register-ts.js', 'bench/viewer-memory-once.ts', file, String(viewers), type, ...(dumpFile ? [dumpFile] : [])],
      { cwd: ROOT, maxBuffer: 1 << 20 },
    );
    const result = JSON.parse(stdout);
    ratios.push(result.ratio);
    sizes.push(result.perViewerBytes / 2 ** 20);
    accounted.push(result.accountedRatio);
  }
  return { ratio: spread(ratios), perViewerMb: spread(sizes), accountedRatio: spread(accounted) };
}
