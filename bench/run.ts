// npm run bench: generates profiles with a real Go program, measures the service against `go tool pprof` on the
// same files in the same run, and writes bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_PROFILES, BenchProfile, makeProfiles } from './make-profiles';
import { BrowserFigures, measureBrowser } from './measure-browser';
import { DecodeFigures, measureDecode } from './measure-decode';
import { LatencyFigures, measurePostAnswer, measurePostLatency, measurePprofHttp, measureTimeToViewer } from './measure-latency';
import { LoadFigures, measureLoad } from './measure-load';
import { measureViewerMemory } from './measure-memory';
import { serveProfiles } from './profile-server';
import { LOAD_HEADING, renderLoad } from './render-load';
import { startServiceProcess } from './service-process';
import { fmt, Spread } from './stats';
import { WRK_MISSING, wrkVersion } from './wrk';

const RUNS: Record<string, number> = { small: 5, medium: 3, large: 3, 'deep-heap': 3, 'cpu-labels': 3, goroutines: 3 };
/** `go tool pprof -http` takes about a minute (and GBs) on a million samples: once there. */
const PPROF_HTTP_RUNS: Record<string, number> = { large: 1, 'deep-heap': 1 };
/** Viewers opened in Chromium per profile: the first in a service is timed with its workers cold, so a median needs several. */
const BROWSER_RUNS = 5;
/** Viewers opened per memory measurement: enough that the allocator's slack (a few MB) is small beside them. */
const MEMORY_VIEWERS: Record<string, number> = { small: 40, medium: 10, large: 2, 'deep-heap': 2, 'cpu-labels': 10, goroutines: 4 };
/** Memory measurements (each in a fresh process) per profile: one for the million-sample ones. */
const MEMORY_RUNS: Record<string, number> = { large: 1, 'deep-heap': 1 };

/** The issue's targets (#14), each printed with whether this run met it. */
const TARGET = {
  /** Decode + aggregate at least this many times faster than `go tool pprof -top`... */
  speedUp: 15,
  /** ...with at most this share of its peak RSS. */
  memoryRatio: 0.1,
  /** Decode + aggregate at most this multiple of the floor (gunzip + a walk over the fields). */
  floorMultiple: 2.5,
  /** POST -> answer for the largest profile at most its decode + aggregate plus this (fetch, store, viewer start). */
  postOverDecodeMs: 500,
  /** Memory held per live viewer, as a multiple of the raw profile: the deep heap profile's, and the others'. */
  viewerMemory: { 'deep-heap': 2, default: 3 } as Record<string, number>,
};

interface ProfileResults {
  profile: BenchProfile;
  decode: DecodeFigures;
  timeToViewer: Spread;
  pprofHttp: Spread;
  memory: { ratio: Spread; perViewerMb: Spread; accountedRatio: Spread };
  /** Chromium: heap profiles only (the page's flame graph search and zoom are timed on main.f* frames). */
  browser?: BrowserFigures;
  /** POST -> answer alone, for the largest profile of the run. */
  postAnswer?: Spread;
}

async function main(): Promise<void> {
  const started = Date.now();
  // BENCH_ONLY: profile names (small, medium, large, deep-heap, cpu-labels, goroutines) and/or `load`; unset, everything.
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((n) => n.trim()) : undefined;
  const unknown = only?.filter((n) => n !== 'load' && !ALL_PROFILES.some((p) => p.name === n)) ?? [];
  if (unknown.length > 0) {
    console.error(`BENCH_ONLY: unknown ${unknown.join(', ')}; known: ${[...ALL_PROFILES.map((p) => p.name), 'load'].join(', ')}`);
    process.exit(1);
  }
  const withLoad = !only || only.includes('load');
  const wrk = withLoad ? wrkVersion() : '';
  if (wrk === undefined) {
    console.error(WRK_MISSING);
    process.exit(1);
  }
  const loadSeconds = positiveInt('BENCH_LOAD_SECONDS', 60);
  const made = await makeProfiles(ALL_PROFILES.filter((s) => !only || only.includes(s.name) || (withLoad && s.name === 'large')));
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
  const markdown = results ? [render(results.profiles, results.latency, (Date.now() - started) / 1000, process.env.BENCH_ONLY), ...loadLines].join('\n') : mergeSection(fs.readFileSync(file, 'utf8'), loadLines);
  fs.writeFileSync(file, markdown);
  log(`wrote bench/RESULTS.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (load?.runs.some((r) => r.failures.length > 0)) process.exitCode = 1;
}

/**
 * The per-profile parts: decode (with its floor, and pprof), POST -> answer for the largest, POST -> viewer page,
 * memory per viewer, Chromium (heap profiles).
 */
async function measureProfiles(profiles: BenchProfile[]): Promise<{ profiles: ProfileResults[]; latency?: LatencyFigures }> {
  const source = await serveProfiles(Object.fromEntries(profiles.map((p) => [p.name, { profile: p.file, dump: p.dump?.file }])));
  const service = await startServiceProcess({ MAX_VIEWERS: '1000' });
  const results: ProfileResults[] = [];
  const largest = profiles.reduce((a, b) => (b.rawBytes > a.rawBytes ? b : a));
  let latency;
  try {
    const small = profiles.find((p) => p.name === 'small');
    if (small) {
      latency = await measurePostLatency(service.url, `${source.url}/small`, 200);
      log(`POST -> answer (small heap): p50 ${latency.postMs.p50.toFixed(1)} ms, p99 ${latency.postMs.p99.toFixed(1)} ms`);
    }
    for (const profile of profiles) {
      const runs = RUNS[profile.name] ?? 3;
      const url = `${source.url}/${profile.name}`;
      const decode = await measureDecode(profile.file, runs, profile.dump?.file);
      log(`${profile.name}: decode+aggregate ${fmt(decode.ours.ms, 'ms')} vs pprof -top ${fmt(decode.pprof.ms, 'ms')}; floor ${fmt(decode.floor.ms, 'ms')} (x${(decode.ours.ms.median / decode.floor.ms.median).toFixed(1)})`);
      if (decode.dump) log(`${profile.name}: parseGoroutineDump ${fmt(decode.dump.ms, 'ms')} (${decode.dump.goroutines} goroutines, ${decode.dump.groups} groups)`);
      // Before the viewers of the other measurements fill the service.
      const postAnswer = profile === largest ? await measurePostAnswer(service.url, url, runs, profile.type) : undefined;
      if (postAnswer) log(`${profile.name}: POST -> answer ${fmt(postAnswer, 'ms')}`);
      const timeToViewer = await measureTimeToViewer(service.url, url, runs, profile.type);
      const pprofHttp = await measurePprofHttp(profile.file, PPROF_HTTP_RUNS[profile.name] ?? runs);
      log(`${profile.name}: POST -> viewer page ${fmt(timeToViewer, 'ms')} vs pprof -http ${fmt(pprofHttp, 'ms')}`);
      const memory = await measureViewerMemory(profile.file, MEMORY_VIEWERS[profile.name] ?? 10, MEMORY_RUNS[profile.name] ?? 3, profile.type, profile.dump?.file);
      log(`${profile.name}: memory per viewer ${fmt(memory.ratio, 'x raw', 2)}`);
      let browser: BrowserFigures | undefined;
      if (profile.kind === 'heap') {
        browser = await measureBrowser(service.url, url, BROWSER_RUNS);
        log(`${profile.name}: Chromium first paint ${fmt(browser.firstPaintMs, 'ms')}, zoom ${fmt(browser.zoomMs, 'ms', 1)}, search ${fmt(browser.searchMs, 'ms', 1)}`);
      }
      results.push({ profile, decode, timeToViewer, pprofHttp, memory, browser, postAnswer });
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

function render(results: ProfileResults[], latency: LatencyFigures | undefined, seconds: number, only: string | undefined): string {
  const goVersion = execFileSync('go', ['version']).toString().trim();
  const x = (v: number, digits = 1) => `${v.toFixed(digits)}x`;
  const verdict = (met: boolean) => (met ? 'met' : '**missed**');
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`${only ? `BENCH_ONLY=${only} ` : ''}npm run bench\` on ${new Date().toISOString()} in ${seconds.toFixed(0)} s. Every ratio compares figures measured in this same run,`,
    'on the same files; values are medians with (min-max, number of runs). Targets are issue #14\'s; each says whether this',
    'run met it.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${os.cpus()[0]?.model ?? 'unknown'} x ${os.availableParallelism()} |`,
    `| memory | ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB |`,
    `| Node.js | ${process.version} |`,
    `| reference | ${goVersion} (the machine's Go): \`go tool pprof\` |`,
    '',
    '## Profiles',
    '',
    'Written by real Go programs generated for the bench, in `.cache/bench/` (written again when missing): heap profiles of',
    'a program with 300 functions (`bench/generate-go-program.ts`), and profiles shaped like a large Go server\'s',
    '(`bench/generate-server-program.ts`: 6000 functions called directly and through small inlined helpers, so',
    'locations carry several lines; deep paths that share framework-like levels at the root). Locations, frames and',
    'labels are read from the protobuf itself, not through the decoder measured.',
    '',
    '| profile | written by | samples | locations (multi-line) | per sample: locations, frames (max locations) | labels (share of samples) | gzipped | raw |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(({ profile: p }) => {
      const s = p.shape;
      const labels = s.labels.map((l) => `${l.key} (${l.kind}, ${((100 * l.samples) / Math.max(1, s.samples)).toFixed(0)}%)`).join(', ') || 'none';
      return `| ${p.name} | ${p.writtenBy} | ${s.samples} | ${s.locations} (${s.multiLineLocations}) | ${s.avgLocations.toFixed(1)}, ${s.avgFrames.toFixed(1)} (${s.maxLocations}) | ${labels} | ${mb(p.gzippedBytes)} | ${mb(p.rawBytes)} |`;
    }),
    '',
    ...results
      .filter((r) => r.profile.dump)
      .map((r) => `${r.profile.name} comes with its \`goroutine?debug=2\` dump, ${mb(r.profile.dump!.bytes)}${r.decode.dump ? `: ${r.decode.dump.goroutines} goroutines in ${r.decode.dump.groups} groups of identical state and stack (the runtime stops writing the dump at 64 MiB, so it may hold fewer goroutines than the profile counts)` : ''}.`),
    ...(results.some((r) => r.profile.dump) ? [''] : []),
    '## Decode + aggregate (before the viewer can answer) vs `go tool pprof -top -nodefraction=0`',
    '',
    `Each in a fresh process, interleaved run by run: ours is \`analyze\` from \`dist/\` (\`bench/analyze-once.js\`), pprof is the machine's (${goVersion.split(' ')[2] ?? 'go'})`,
    `\`pprof\` program run directly, timed by GNU time. Targets: at least ${TARGET.speedUp}x faster, with at most ${TARGET.memoryRatio.toFixed(2)} of pprof's peak RSS.`,
    'The verdict is on the first profile of a fresh process that has done what a decode worker does when it starts,',
    'before the clock: its two WebAssembly modules compiled and the decoder run on the worker\'s own three small profiles',
    '(`src/workers/warm-up.ts`: whole, then five rounds on a fifth of their samples; about 400 ms). "warm" is the same work again in that process, as a service worker does it',
    'from its second profile on; "cold" is the first decode of a fresh process without either (V8 compiling the',
    'JavaScript as it runs), as a one-shot command meets it, for reading. Peak RSS includes Node itself (about 45 MB).',
    '',
    `| profile | ours: wall | ours: warm | ours: cold | pprof: wall | speed-up (target: ${TARGET.speedUp}x) | warm speed-up | cold speed-up | ours: peak RSS | pprof: peak RSS | memory ratio (target: ${TARGET.memoryRatio.toFixed(2)}) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(({ profile, decode: d }) => {
      const speedUp = d.pprof.ms.median / d.ours.ms.median;
      const memory = d.ours.peakRssMb.median / d.pprof.peakRssMb.median;
      return `| ${profile.name} | ${fmt(d.ours.ms, 'ms')} | ${fmt(d.ours.warmMs, 'ms')} | ${fmt(d.ours.coldMs, 'ms')} | ${fmt(d.pprof.ms, 'ms')} | ${x(speedUp)}, ${verdict(speedUp >= TARGET.speedUp)} | ${x(d.pprof.ms.median / d.ours.warmMs.median)} | ${x(d.pprof.ms.median / d.ours.coldMs.median)} | ${fmt(d.ours.peakRssMb, 'MB')} | ${fmt(d.pprof.peakRssMb, 'MB')} | ${memory.toFixed(2)}, ${verdict(memory <= TARGET.memoryRatio)} |`;
    }),
    '',
    'Of that peak, what the process held before the decode began (Node, the loaded code and the file\'s bytes, which a',
    'running service pays for once, not per profile) and what the decode itself added, against pprof\'s whole peak (for',
    'reading only: the verdict above is on the whole process).',
    '',
    '| profile | ours: before the decode | ours: added by the decode | added, against pprof\'s peak |',
    '| --- | --- | --- | --- |',
    ...results.map(({ profile, decode: d }) => {
      const added = d.ours.peakRssMb.median - d.ours.startRssMb.median;
      return `| ${profile.name} | ${fmt(d.ours.startRssMb, 'MB')} | ${added.toFixed(0)} MB | ${(added / d.pprof.peakRssMb.median).toFixed(2)} |`;
    }),
    '',
    '## Decode + aggregate against the floor of the same file',
    '',
    'The floor, in a fresh process of its own in the same run (`bench/floor-once.js`): gunzip alone (`zlib.gunzipSync`), then',
    'one pass of the decoder\'s protobuf reader (`WireReader`) that only walks the fields: each top-level field skipped by',
    'its length or varint, and within each sample its fields likewise, packed arrays not decoded. What any decoder of the',
    `file must do at least, its JavaScript warmed up as the decoder's is (the same walk over the warm-up profiles first, in the same rounds).`,
    `Target: decode + aggregate at most ${TARGET.floorMultiple}x the floor.`,
    '',
    `| profile | gunzip | field walk | floor | floor: peak RSS | decode + aggregate | multiple of the floor (target: ${TARGET.floorMultiple}x) |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(({ profile, decode: d }) => {
      const multiple = d.ours.ms.median / d.floor.ms.median;
      return `| ${profile.name} | ${fmt(d.floor.gunzipMs, 'ms', 1)} | ${fmt(d.floor.walkMs, 'ms', 1)} | ${fmt(d.floor.ms, 'ms', 1)} | ${fmt(d.floor.peakRssMb, 'MB')} | ${fmt(d.ours.ms, 'ms')} | ${x(multiple)}, ${verdict(multiple <= TARGET.floorMultiple)} |`;
    }),
    '',
  ];
  const dumps = results.filter((r) => r.decode.dump);
  if (dumps.length > 0) {
    lines.push(
      '## The goroutine dump (`goroutine?debug=2`), as the goroutine view reads it',
      '',
      'In the process of the decode above, after its figures were taken: the dump\'s bytes decoded as UTF-8 (as the fetch does),',
      'then `parseGoroutineDump` (`dist/report/goroutines.js`), which groups the goroutines by state and stack.',
      '',
      '| profile | dump | goroutines | groups | UTF-8 decode | parseGoroutineDump |',
      '| --- | --- | --- | --- | --- | --- |',
      ...dumps.map(({ profile: p, decode: { dump } }) => `| ${p.name} | ${mb(p.dump!.bytes)} | ${dump!.goroutines} | ${dump!.groups} | ${fmt(dump!.utf8Ms, 'ms')} | ${fmt(dump!.ms, 'ms')} |`),
      '',
    );
  }
  lines.push('## From POST to the viewer', '');
  if (latency) {
    lines.push(
      `POST -> answer for the small heap profile from a local source, ${latency.postMs.requests} requests in a row: p50 ${latency.postMs.p50.toFixed(1)} ms, p99 ${latency.postMs.p99.toFixed(1)} ms;`,
      `the source alone answers the same bytes in p50 ${latency.sourceMs.p50.toFixed(1)} ms, so the service's own overhead is p50 ${latency.overheadP50Ms.toFixed(1)} ms (target: under 30 ms).`,
      '',
    );
  }
  for (const r of results.filter((r) => r.postAnswer)) {
    const post = r.postAnswer!;
    const budget = r.decode.ours.ms.median + TARGET.postOverDecodeMs;
    lines.push(
      `POST -> answer alone for the largest profile, ${r.profile.name} (${mb(r.profile.gzippedBytes)} fetched from a local source, type \`${r.profile.type}\`), one request at a time:`,
      `fetch, decode + aggregate in a worker, the raw profile stored, the viewer started. Target: at most decode + aggregate (above) plus ${TARGET.postOverDecodeMs} ms.`,
      '',
      `| profile | POST -> answer | decode + aggregate + ${TARGET.postOverDecodeMs} ms (target) | over decode + aggregate | target |`,
      '| --- | --- | --- | --- | --- |',
      `| ${r.profile.name} | ${fmt(post, 'ms')} | ${budget.toFixed(0)} ms | ${(post.median - r.decode.ours.ms.median).toFixed(0)} ms | ${verdict(post.median <= budget)} |`,
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
    `Viewers opened one after another in a fresh service (${results.map((r) => `${MEMORY_VIEWERS[r.profile.name] ?? 10} ${r.profile.name}`).join(', ')}), garbage collected in the`,
    'main thread and the worker threads after each; RSS growth per viewer, and the bytes the viewers\' own arrays hold plus',
    'the main heap\'s growth ("accounted": RSS moves by allocator slack of a few MB either way). A viewer whose flame',
    'graph has been opened also keeps that view\'s stacks (about 2 bytes per frame of every sample) until it expires.',
    'A goroutine profile\'s viewer also holds its `debug=2` dump: its multiples are of the raw profile plus the dump.',
    '',
    '| profile | per viewer (RSS) | multiple of the raw profile, RSS | multiple, accounted | target: RSS at most |',
    '| --- | --- | --- | --- | --- |',
    ...results.map((r) => {
      const target = TARGET.viewerMemory[r.profile.name] ?? TARGET.viewerMemory.default;
      return `| ${r.profile.name} | ${fmt(r.memory.perViewerMb, 'MB', 1)} | ${fmt(r.memory.ratio, 'x', 2)} | ${fmt(r.memory.accountedRatio, 'x', 2)} | ${target}x, ${verdict(r.memory.ratio.median <= target)} |`;
    }),
    '',
  );
  const browsed = results.filter((r) => r.browser);
  if (browsed.length > 0) {
    lines.push(
      '## The viewer in Chromium (Debian chromium, headless, 1280x720)',
      '',
      'From the page\'s own performance marks, each run on a viewer just opened (nothing computed for the page yet):',
      'navigation to the first painted flame graph; a zoom (click on a frame) until the zoomed view is drawn in full detail',
      '(from the tree in hand when it holds every frame of a pixel, else once the server\'s cut for it is drawn); a regex',
      'search until the share it covers, counted by the server over every stack, is shown; the top table, asked for once',
      'the flame graph is painted, until its rows are painted; a peek (a click on the table\'s first row) until that',
      'function\'s callers and callees are painted (targets: first paint within 1 s for the large and deep heap profiles',
      'and 200 ms for a small one; zoom and search within 100 ms; top table and peek within 300 ms). Heap profiles only.',
      '',
      '| profile | first paint | zoom | search | top table | peek |',
      '| --- | --- | --- | --- | --- | --- |',
      ...browsed.map(({ profile, browser: b }) => `| ${profile.name} | ${fmt(b!.firstPaintMs, 'ms')} | ${fmt(b!.zoomMs, 'ms', 1)} | ${fmt(b!.searchMs, 'ms', 1)} | ${b!.topMs ? fmt(b!.topMs, 'ms', 1) : '-'} | ${b!.peekMs ? fmt(b!.peekMs, 'ms', 1) : '-'} |`),
      '',
    );
  }
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
