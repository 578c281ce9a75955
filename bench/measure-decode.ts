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
  /**
   * ms: the first analysis in a fresh process after the warm-up a decode worker runs when it starts; warmMs: the
   * same again in that process (a worker's second profile on); coldMs: the first analysis of a fresh process without
   * the warm-up (a one-shot command's). startRssMb: the process before the decode (Node, the loaded code, the file).
   */
  ours: { ms: Spread; warmMs: Spread; coldMs: Spread; peakRssMb: Spread; startRssMb: Spread };
  pprof: { ms: Spread; peakRssMb: Spread };
  /** gunzip + a walk over the protobuf's fields (bench/floor-once.js): what any decoder of the file must do. */
  floor: { ms: Spread; gunzipMs: Spread; walkMs: Spread; peakRssMb: Spread };
  /** parseGoroutineDump on the goroutine?debug=2 dump, when the profile has one (in analyze-once.js's process). */
  dump?: { ms: Spread; utf8Ms: Spread; goroutines: number; groups: number };
}

/**
 * Ours (decode + aggregate, in a fresh process), the floor of the same file (in another fresh process) and
 * `go tool pprof -top` on it, runs each, interleaved so that a slower stretch of the machine falls on all three.
 */
export async function measureDecode(file: string, runs: number, dumpFile?: string): Promise<DecodeFigures> {
  // pprof's own program, as `go tool pprof` runs it, built before the first run (Go ships it unbuilt), and timed
  // without the go command in front.
  const pprofTool = await goPprofTool();
  const ours = { ms: [] as number[], warmMs: [] as number[], coldMs: [] as number[], rss: [] as number[], startRss: [] as number[] };
  const pprof = { ms: [] as number[], rss: [] as number[] };
  const floor = { ms: [] as number[], gunzipMs: [] as number[], walkMs: [] as number[], rss: [] as number[] };
  const dump = { ms: [] as number[], utf8Ms: [] as number[], goroutines: 0, groups: 0 };
  for (let i = 0; i < runs; i++) {
    const analyzed = JSON.parse((await run(NODE, ['bench/analyze-once.js', file, ...(dumpFile ? [dumpFile] : [])], { cwd: ROOT, maxBuffer: 1 << 20 })).stdout);
    ours.ms.push(analyzed.ms);
    ours.warmMs.push(analyzed.warmMs);
    ours.rss.push(analyzed.peakRssKb / 1024);
    ours.startRss.push(analyzed.startRssKb / 1024);
    if (analyzed.dump) {
      dump.ms.push(analyzed.dump.ms);
      dump.utf8Ms.push(analyzed.dump.utf8Ms);
      dump.goroutines = analyzed.dump.goroutines;
      dump.groups = analyzed.dump.groups;
    }
    const cold = JSON.parse((await run(NODE, ['bench/analyze-once.js', file], { cwd: ROOT, maxBuffer: 1 << 20, env: { ...process.env, BENCH_COLD: '1' } })).stdout);
    ours.coldMs.push(cold.ms);
    const walked = JSON.parse((await run(NODE, ['bench/floor-once.js', file], { cwd: ROOT, maxBuffer: 1 << 20 })).stdout);
    if (walked.samples !== analyzed.samples) throw new Error(`${file}: the floor walked ${walked.samples} samples, the decoder read ${analyzed.samples}`);
    floor.ms.push(walked.ms);
    floor.gunzipMs.push(walked.gunzipMs);
    floor.walkMs.push(walked.walkMs);
    floor.rss.push(walked.peakRssKb / 1024);
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
    ours: { ms: spread(ours.ms), warmMs: spread(ours.warmMs), coldMs: spread(ours.coldMs), peakRssMb: spread(ours.rss), startRssMb: spread(ours.startRss) },
    pprof: { ms: spread(pprof.ms), peakRssMb: spread(pprof.rss) },
    floor: { ms: spread(floor.ms), gunzipMs: spread(floor.gunzipMs), walkMs: spread(floor.walkMs), peakRssMb: spread(floor.rss) },
    dump: dump.ms.length > 0 ? { ms: spread(dump.ms), utf8Ms: spread(dump.utf8Ms), goroutines: dump.goroutines, groups: dump.groups } : undefined,
  };
}
