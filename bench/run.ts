// npm run bench: generates profiles with a real Go program, measures the service against `go tool pprof` on the
// same files in the same run, and writes bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchProfile, makeProfiles, SIZES } from './make-profiles';
import { BrowserFigures, measureBrowser } from './measure-browser';
import { DecodeFigures, measureDecode } from './measure-decode';
import { LatencyFigures, measurePostLatency, measurePprofHttp, measureTimeToViewer } from './measure-latency';
import { LoadFigures, measureLoad } from './measure-load';
import { measureViewerMemory } from './measure-memory';
import { serveProfiles } from './profile-server';
import { LOAD_HEADING, renderLoad } from './render-load';
import { startServiceProcess } from './service-process';
import { fmt, Spread } from './stats';
import { WRK_MISSING, wrkVersion } from './wrk';

const RUNS: Record<string, number> = { small: 5, medium: 3, large: 3 };
/** Viewers opened in Chromium per profile: the first in a service is timed with its workers cold, so a median needs several. */
const BROWSER_RUNS = 5;
/** Viewers opened per memory measurement: enough that the allocator's slack (a few MB) is small beside them. */
const MEMORY_VIEWERS: Record<string, number> = { small: 40, medium: 10, large: 2 };

interface ProfileResults {
  profile: BenchProfile;
  decode: DecodeFigures;
  timeToViewer: Spread;
  pprofHttp: Spread;
  memory: { ratio: Spread; perViewerMb: Spread; accountedRatio: Spread };
  browser: BrowserFigures;
}

async function main(): Promise<void> {
  const started = Date.now();
  // BENCH_ONLY: profile names (small, medium, large) and/or `load`; unset, everything.
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
  const withLoad = !only || only.includes('load');
  const wrk = withLoad ? wrkVersion() : '';
  if (wrk === undefined) {
    console.error(WRK_MISSING);
    process.exit(1);
  }
  const loadSeconds = positiveInt('BENCH_LOAD_SECONDS', 60);
  const made = await makeProfiles(SIZES.filter((s) => !only || only.includes(s.name) || (withLoad && s.name === 'large')));
  const profiles = made.filter((p) => !only || only.includes(p.name));
  log(`profiles: ${made.map((p) => `${p.name} ${mb(p.gzippedBytes)} gz, ${mb(p.rawBytes)} raw, ${p.samples} samples`).join('; ')}`);
  const results = profiles.length > 0 ? await measureProfiles(profiles) : undefined;
  let load: LoadFigures | undefined;
  if (withLoad) {
    load = await measureLoad((made.find((p) => p.name === 'large') as BenchProfile).file, loadSeconds);
    for (const r of load.runs) {
      log(`load ${r.name}: ${r.wrk.requestsPerSecond.toFixed(0)} requests/s, p50 ${r.wrk.latencyMs.p50.toFixed(1)} ms, p99 ${r.wrk.latencyMs.p99.toFixed(1)} ms, statuses ${JSON.stringify(r.wrk.statuses)}; /healthz p99 ${r.during.health.p99Ms.toFixed(1)} ms; fds ${r.before.fds} -> ${r.after.fds}, RSS ${r.before.rssMb.toFixed(0)} -> ${r.after.rssMb.toFixed(0)} MB`);
      for (const f of r.failures) log(`load ${r.name}: FAILURE: ${f}`);
    }
  }
  const file = path.join(__dirname, 'RESULTS.md');
  const loadLines = load ? renderLoad(load, { wrkVersion: wrk, alone: !results, note: process.env.BENCH_NOTE }) : [];
  const markdown = results ? [render(results.profiles, results.latency, (Date.now() - started) / 1000), ...loadLines].join('\n') : mergeSection(fs.readFileSync(file, 'utf8'), loadLines);
  fs.writeFileSync(file, markdown);
  log(`wrote bench/RESULTS.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (load?.runs.some((r) => r.failures.length > 0)) process.exitCode = 1;
}

/** The per-profile parts: decode, POST latency, time to the viewer, memory per viewer, Chromium. */
async function measureProfiles(profiles: BenchProfile[]): Promise<{ profiles: ProfileResults[]; latency?: LatencyFigures }> {
  const source = await serveProfiles(Object.fromEntries(profiles.map((p) => [p.name, p.file])));
  const service = await startServiceProcess({ MAX_VIEWERS: '1000' });
  const results: ProfileResults[] = [];
  let latency;
  try {
    const small = profiles.find((p) => p.name === 'small');
    if (small) {
      latency = await measurePostLatency(service.url, `${source.url}/small`, 200);
      log(`POST -> answer (small heap): p50 ${latency.postMs.p50.toFixed(1)} ms, p99 ${latency.postMs.p99.toFixed(1)} ms`);
    }
    for (const profile of profiles) {
      const runs = RUNS[profile.name] ?? 3;
      const decode = await measureDecode(profile.file, runs);
      log(`${profile.name}: decode+aggregate ${fmt(decode.ours.ms, 'ms')} vs pprof -top ${fmt(decode.pprof.ms, 'ms')}`);
      const timeToViewer = await measureTimeToViewer(service.url, `${source.url}/${profile.name}`, runs);
      const pprofHttp = await measurePprofHttp(profile.file, profile.name === 'large' ? 1 : runs);
      log(`${profile.name}: POST -> viewer page ${fmt(timeToViewer, 'ms')} vs pprof -http ${fmt(pprofHttp, 'ms')}`);
      const memory = await measureViewerMemory(profile.file, MEMORY_VIEWERS[profile.name] ?? 10, profile.name === 'large' ? 1 : 3);
      log(`${profile.name}: memory per viewer ${fmt(memory.ratio, 'x raw', 2)}`);
      const browser = await measureBrowser(service.url, `${source.url}/${profile.name}`, BROWSER_RUNS);
      log(`${profile.name}: Chromium first paint ${fmt(browser.firstPaintMs, 'ms')}, zoom ${fmt(browser.zoomMs, 'ms', 1)}, search ${fmt(browser.searchMs, 'ms', 1)}`);
      results.push({ profile, decode, timeToViewer, pprofHttp, memory, browser });
    }
  } finally {
    await service.stop();
    await source.close();
  }
  return { profiles: results, latency };
}

/** Replaces the load section of an existing RESULTS.md (up to the next section), or appends it; the rest stays as it was. */
function mergeSection(existing: string, section: string[]): string {
  const lines = existing.split('\n');
  const start = lines.indexOf(LOAD_HEADING);
  if (start < 0) return [...lines, ...(lines[lines.length - 1] === '' ? [] : ['']), ...section].join('\n');
  const next = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return [...lines.slice(0, start), ...section, ...(next < 0 ? [] : lines.slice(next))].join('\n');
}

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number of seconds, at least 1`);
  return value;
}

function render(results: ProfileResults[], latency: LatencyFigures | undefined, seconds: number): string {
  const goVersion = execFileSync('go', ['version']).toString().trim();
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} in ${seconds.toFixed(0)} s. Every ratio compares figures measured in this same run,`,
    'on the same files; values are medians with (min-max, number of runs).',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${os.cpus()[0]?.model ?? 'unknown'} x ${os.availableParallelism()} |`,
    `| memory | ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB |`,
    `| Node.js | ${process.version} |`,
    `| reference | ${goVersion}: \`go tool pprof\` |`,
    '',
    '## Profiles (heap profiles written by a generated Go program with 300 functions)',
    '',
    '| profile | samples | gzipped | raw |',
    '| --- | --- | --- | --- |',
    ...results.map(({ profile: p }) => `| ${p.name} | ${p.samples} | ${mb(p.gzippedBytes)} | ${mb(p.rawBytes)} |`),
    '',
    '## Decode + aggregate (before the viewer can answer) vs `go tool pprof -top -nodefraction=0`',
    '',
    '| profile | ours: wall | pprof: wall | speed-up | ours: peak RSS | pprof: peak RSS | memory ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(({ profile, decode: d }) =>
      `| ${profile.name} | ${fmt(d.ours.ms, 'ms')} | ${fmt(d.pprof.ms, 'ms')} | ${(d.pprof.ms.median / d.ours.ms.median).toFixed(1)}x | ${fmt(d.ours.peakRssMb, 'MB')} | ${fmt(d.pprof.peakRssMb, 'MB')} | ${(d.ours.peakRssMb.median / d.pprof.peakRssMb.median).toFixed(2)} |`,
    ),
    '',
    '## From POST to the viewer',
    '',
  ];
  if (latency) {
    lines.push(
      `POST -> answer for the small heap profile from a local source, ${latency.postMs.requests} requests in a row: p50 ${latency.postMs.p50.toFixed(1)} ms, p99 ${latency.postMs.p99.toFixed(1)} ms;`,
      `the source alone answers the same bytes in p50 ${latency.sourceMs.p50.toFixed(1)} ms, so the service's own overhead is p50 ${latency.overheadP50Ms.toFixed(1)} ms (target: under 30 ms).`,
      '',
    );
  }
  lines.push(
    '| profile | POST until the viewer page is served | `go tool pprof -http` start until its first page | ratio |',
    '| --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.profile.name} | ${fmt(r.timeToViewer, 'ms')} | ${fmt(r.pprofHttp, 'ms')} | ${(r.pprofHttp.median / r.timeToViewer.median).toFixed(1)}x faster |`),
    '',
    '## Memory held per live viewer',
    '',
    `Viewers opened one after another in a fresh service (${Object.entries(MEMORY_VIEWERS).map(([n, c]) => `${c} ${n}`).join(', ')}), garbage collected in the`,
    'main thread and the worker threads after each; RSS growth per viewer, and the bytes the viewers\' own arrays hold plus',
    'the main heap\'s growth ("accounted": RSS moves by allocator slack of a few MB either way). A viewer whose flame',
    'graph has been opened also keeps that view\'s stacks (about 2 bytes per frame of every sample) until it expires.',
    '',
    '| profile | per viewer (RSS) | multiple of the raw profile, RSS (target: at most 3x) | multiple, accounted |',
    '| --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.profile.name} | ${fmt(r.memory.perViewerMb, 'MB', 1)} | ${fmt(r.memory.ratio, 'x', 2)} | ${fmt(r.memory.accountedRatio, 'x', 2)} |`),
    '',
    '## The viewer in Chromium (Debian chromium, headless, 1280x720)',
    '',
    'From the page\'s own performance marks, each run on a viewer just opened (nothing computed for the page yet):',
    'navigation to the first painted flame graph; a zoom (click on a frame) until the zoomed view is drawn in full detail',
    '(from the tree in hand when it holds every frame of a pixel, else once the server\'s cut for it is drawn); a regex',
    'search until the share it covers, counted by the server over every stack, is shown (targets: first paint within',
    '1 s for the large profile and 200 ms for a small one; zoom and search within 100 ms).',
    '',
    '| profile | first paint | zoom | search |',
    '| --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.profile.name} | ${fmt(r.browser.firstPaintMs, 'ms')} | ${fmt(r.browser.zoomMs, 'ms', 1)} | ${fmt(r.browser.searchMs, 'ms', 1)} |`),
    '',
  );
  return lines.join('\n');
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MB`;
}

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
