// Runs one fuzz target under Jazzer.js (libFuzzer) for a time budget, and reads back what libFuzzer says:
// executions per second, edges covered (cov) and features (ft), and any finding, whose input it saves.
//
// Every input libFuzzer saves (crash-*, timeout-*, slow-unit-*, oom-*) is run again in a process of its own
// (replay.ts). An error, or a run still over the limit there, is a finding. A slow run (libFuzzer's timeout, or
// the target's own limit) that replays in a few milliseconds is the machine, not the input: the fuzzer's process
// got no CPU for a second (other work on 2 cores). It is kept apart as a stall, and fuzzing goes on from the
// corpus so far for the rest of the budget.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { jazzerAddon } from './native/build-addon';
import { Replay } from './replay';
import { RUN_LIMIT_MS } from './targets/invariant';

export const TARGETS = ['profile-gzip', 'profile-raw', 'goroutine-dump', 'framed-log'] as const;
export type TargetName = (typeof TARGETS)[number];

const ROOT = path.resolve(__dirname, '..', '..');
export const CORPUS = path.join(__dirname, 'corpus');
export const OUTPUT = path.join(ROOT, 'test-output', 'fuzz');
const CLI = require.resolve('@jazzer.js/core/dist/cli.js');
const REGISTER_TS = path.join(ROOT, 'test', 'support', 'register-ts.js');
/** Restarts after stalls, at most: past that the machine is too busy for the figures to mean anything. */
const MAX_STALLS = 20;

export interface FuzzOptions {
  seconds: number;
}

export interface FuzzResult {
  target: TargetName;
  seconds: number;
  runs: number;
  /** libFuzzer's own average, over the time it fuzzed. */
  execPerSecond: number;
  /** libFuzzer's cov: edges covered; ft: features (edges by hit-count bucket, compares). */
  cov: number;
  ft: number;
  /** Inputs the run added to its corpus (test-output/fuzz/<target>/corpus). */
  corpusFiles: number;
  /** Reproducible findings: the saved input, and what replaying it gave. */
  findings: Array<{ file: string; replay?: Replay; note?: string }>;
  /** Timeouts that did not reproduce (moved to test-output/fuzz/<target>/stalls). */
  stalls: Replay[];
}

export async function fuzzTarget(target: TargetName, options: FuzzOptions): Promise<FuzzResult> {
  const out = path.join(OUTPUT, target);
  fs.rmSync(out, { recursive: true, force: true });
  const dirs = { corpus: path.join(out, 'corpus'), findings: path.join(out, 'findings'), stalls: path.join(out, 'stalls') };
  Object.values(dirs).forEach((d) => fs.mkdirSync(d, { recursive: true }));
  const deadline = Date.now() + options.seconds * 1000;
  const result: FuzzResult = { target, seconds: options.seconds, runs: 0, execPerSecond: 0, cov: 0, ft: 0, corpusFiles: 0, findings: [], stalls: [] };
  let fuzzedSeconds = 0;
  for (let segment = 0; ; segment++) {
    const remaining = Math.max(1, Math.round((deadline - Date.now()) / 1000));
    const logFile = path.join(out, `fuzz-${segment}.log`);
    // New inputs go to the first directory; the committed seeds stay as they are.
    const args = [dirs.corpus, path.join(CORPUS, target), '--', `-max_total_time=${remaining}`, `-artifact_prefix=${dirs.findings}${path.sep}`, '-print_final_stats=1', '-report_slow_units=1'];
    const exitCode = await jazzer(target, args, logFile);
    const log = fs.readFileSync(logFile, 'utf8');
    const stats = libFuzzerStats(log);
    const slow = /^ALARM: working on the last Unit|^Slowest unit: |^==\d+== Uncaught Exception: Error: .* took \d+ ms of CPU, more than/m.test(log);
    result.runs += stats.runs;
    if (stats.execPerSecond > 0) fuzzedSeconds += stats.runs / stats.execPerSecond;
    if (stats.cov > 0) Object.assign(result, { cov: stats.cov, ft: stats.ft });

    const saved = fs.readdirSync(dirs.findings).map((f) => path.join(dirs.findings, f));
    const replays = saved.length > 0 ? await replayInputs(target, saved) : [];
    for (const r of replays) {
      if (r.error !== undefined || r.fastestMs > RUN_LIMIT_MS || !slow) {
        result.findings.push({ file: r.file, replay: r });
      } else {
        fs.renameSync(r.file, path.join(dirs.stalls, `${path.basename(r.file)}-${segment}`));
        result.stalls.push(r);
      }
    }
    if (exitCode !== 0 && saved.length === 0) result.findings.push({ file: logFile, note: `the fuzzer exited with ${exitCode} and saved no input` });
    const stalled = replays.length > 0 && result.findings.length === 0;
    if (!stalled || result.stalls.length > MAX_STALLS || Date.now() > deadline - 2000) break;
  }
  result.execPerSecond = fuzzedSeconds > 0 ? Math.round(result.runs / fuzzedSeconds) : 0;
  result.corpusFiles = fs.readdirSync(dirs.corpus).length;
  return result;
}

/** The fuzzer's process: the built addon in place of the prebuilt one, TypeScript transpiled, the target named. */
async function jazzer(target: TargetName, args: string[], logFile: string): Promise<number | null> {
  // Preloaded through NODE_OPTIONS, which libFuzzer's own child processes (-merge=1) inherit, as -r flags are not.
  const preload = [path.join(__dirname, 'native', 'use-addon.js'), REGISTER_TS].map((f) => `--require ${JSON.stringify(f)}`).join(' ');
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim(), JAZZER_ADDON: await jazzerAddon(), FUZZ_TARGET: target };
  // --sync: the targets are synchronous; --timeout: libFuzzer's -timeout, in whole seconds.
  const common = [path.join(__dirname, 'entry.js'), '--sync', `--timeout=${RUN_LIMIT_MS}`, '-i', `${path.join(ROOT, 'src')}${path.sep}`, '--disable_bug_detectors=.*'];
  const log = fs.openSync(logFile, 'w');
  try {
    const child = spawn(process.execPath, [CLI, ...common, ...args], { cwd: ROOT, env, stdio: ['ignore', log, log] });
    return await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    });
  } finally {
    fs.closeSync(log);
  }
}

/**
 * libFuzzer's -merge=1: the inputs of `from` (up to maxLen bytes, when given) that add coverage `into` lacks,
 * copied into it; how corpus/<target>/found/ is made from long runs' corpora. Returns libFuzzer's log.
 */
export async function mergeCorpus(target: TargetName, into: string, from: string[], maxLen = 0): Promise<string> {
  const logFile = path.join(OUTPUT, `merge-${target}.log`);
  fs.mkdirSync(OUTPUT, { recursive: true });
  fs.mkdirSync(into, { recursive: true });
  const exitCode = await jazzer(target, [into, ...from, '--', '-merge=1', ...(maxLen > 0 ? [`-max_len=${maxLen}`] : [])], logFile);
  const log = fs.readFileSync(logFile, 'utf8');
  if (exitCode !== 0) throw new Error(`merging the corpus of ${target} failed (${exitCode}); see ${logFile}`);
  return log;
}

async function replayInputs(target: TargetName, files: string[]): Promise<Replay[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', REGISTER_TS, path.join(__dirname, 'replay.ts'), target, ...files], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Replay);
}

/** The last status line (#runs ... cov: ft: ...) and the final stats. */
export function libFuzzerStats(log: string): { runs: number; execPerSecond: number; cov: number; ft: number } {
  const status = [...log.matchAll(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+)/gm)].pop();
  const perSecond = /^stat::average_exec_per_sec:\s+(\d+)/m.exec(log);
  const runs = /^stat::number_of_executed_units:\s+(\d+)/m.exec(log);
  return {
    runs: Number(runs?.[1] ?? status?.[1] ?? 0),
    execPerSecond: Number(perSecond?.[1] ?? 0),
    cov: Number(status?.[2] ?? 0),
    ft: Number(status?.[3] ?? 0),
  };
}
