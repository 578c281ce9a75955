// npm run bench: generates profiles with a real Go program, measures the service against `go tool pprof` on the
// same files in the same run, and writes bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchProfile, makeProfiles } from './make-profiles';
import { BrowserFigures, measureBrowser } from './measure-browser';
import { DecodeFigures, measureDecode } from './measure-decode';
import { measurePostLatency, measurePprofHttp, measureTimeToViewer } from './measure-latency';
import { measureViewerMemory } from './measure-memory';
import { serveProfiles } from './profile-server';
import { startServiceProcess } from './service-process';
import { fmt, Spread } from './stats';

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
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
  const profiles = (await makeProfiles()).filter((p) => !only || only.includes(p.name));
  log(`profiles: ${profiles.map((p) => `${p.name} ${mb(p.gzippedBytes)} gz, ${mb(p.rawBytes)} raw, ${p.samples} samples`).join('; ')}`);
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
  const markdown = render(results, latency, (Date.now() - started) / 1000);
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), markdown);
  log(`wrote bench/RESULTS.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function render(results: ProfileResults[], latency: Awaited<ReturnType<typeof measurePostLatency>> | undefined, seconds: number): string {
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
