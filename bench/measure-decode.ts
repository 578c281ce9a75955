import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { goPprofTool } from '../test/support/go-pprof';
import { goEnv } from '../test/support/go-target';
import { Spread, spread } from './stats';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

export interface DecodeFigures {
  ours: { ms: Spread; peakRssMb: Spread };
  pprof: { ms: Spread; peakRssMb: Spread };
}

/** Ours (decode + aggregate, in a fresh process) against `go tool pprof -top` on the same file, runs each. */
export async function measureDecode(file: string, runs: number): Promise<DecodeFigures> {
  // pprof's own program, as `go tool pprof` runs it, built before the first run (Go ships it unbuilt), and timed
  // without the go command in front.
  const pprofTool = await goPprofTool();
  const ours = { ms: [] as number[], rss: [] as number[] };
  const pprof = { ms: [] as number[], rss: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(NODE, ['bench/analyze-once.js', file], { cwd: ROOT, maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout);
    ours.ms.push(result.ms);
    ours.rss.push(result.peakRssKb / 1024);
    // GNU time reports the child's wall time and peak RSS; pprof's own output is discarded.
    const timed = await run('/usr/bin/time', ['-f', '%e %M', pprofTool, '-top', '-nodefraction=0', file], {
      env: goEnv(),
      maxBuffer: 256 << 20,
    });
    const [seconds, kb] = timed.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    pprof.ms.push(seconds * 1000);
    pprof.rss.push(kb / 1024);
  }
  return {
    ours: { ms: spread(ours.ms), peakRssMb: spread(ours.rss) },
    pprof: { ms: spread(pprof.ms), peakRssMb: spread(pprof.rss) },
  };
}
