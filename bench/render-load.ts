import os from 'node:os';
import { LOAD_MAX_VIEWERS, LoadFigures, LoadRun, MARGINS, POST_EXPIRATION_SECONDS, SETTLE_MS, WARMUP_SECONDS } from './measure-load';

export const LOAD_HEADING = '## Under load: wrk';
/** /healthz's p99 during a load must stay under this. */
export const HEALTH_TARGET_MS = 50;

/**
 * The load part's section of bench/RESULTS.md. alone: written by BENCH_ONLY=load into a file whose other sections
 * it keeps; note (BENCH_NOTE): what else the machine was doing, in words.
 */
export function renderLoad(figures: LoadFigures, options: { wrkVersion: string; alone: boolean; note?: string }): string[] {
  const { runs, seconds } = figures;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const cores = os.availableParallelism();
  const lines = [
    LOAD_HEADING,
    '',
    ...(options.alone
      ? [`This section alone was written by \`BENCH_ONLY=load npm run bench\` on ${new Date().toISOString()}; the sections above are from the run named at the top, untouched.`, '']
      : []),
    `${options.wrkVersion}, 2 threads, ${seconds} s per load (\`BENCH_LOAD_SECONDS\`), \`--timeout 30s\`, answers counted by status in`,
    '`bench/load.lua`; the service is the built one in a process of its own. **POST**: a heap profile of a real Go program',
    `(\`test/fixtures/profiles/heap.pb.gz\`, 7.5 KB) from a local source in another process, \`expiration_seconds\` ${POST_EXPIRATION_SECONDS}, so viewers`,
    `come and go throughout; \`MAX_VIEWERS=${LOAD_MAX_VIEWERS}\`, so the viewer cap is never what is measured; the fetch gate at its defaults`,
    '(16 at once, 64 queued): beyond that a request gets 503 with `Retry-After`, a documented answer. **Viewer**: a fresh service',
    'with one viewer of the large profile (1M samples), its flame graph (default resolution) and top table asked for in turn',
    'through the main port (`/viewer/<id>/api/...`, as behind an Ingress), each answered once before the baseline.',
    `\`/healthz\` is asked every 100 ms throughout, one at a time on a connection of its own (target: p99 under ${HEALTH_TARGET_MS} ms).`,
    '',
    '| load | connections | requests | requests/s | p50 | p99 | max | statuses | socket errors | only documented statuses |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map((r) => {
      const errors = Object.entries(r.wrk.errors).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
      const undocumented = Object.keys(r.wrk.statuses).filter((s) => !r.documented.includes(s));
      return `| ${r.operation} | ${r.connections} | ${r.wrk.requests} | ${r.wrk.requestsPerSecond.toFixed(0)} | ${ms(r.wrk.latencyMs.p50)} | ${ms(r.wrk.latencyMs.p99)} | ${ms(r.wrk.latencyMs.max)} | ${statuses(r)} | ${errors} | ${undocumented.length ? `**no**: ${undocumented.join(', ')}` : `yes (${r.documented.join(', ')})`} |`;
    }),
    '',
    `| load | \`/healthz\` probes | p50 | p99 (target: under ${HEALTH_TARGET_MS} ms) | max | failed |`,
    '| --- | --- | --- | --- | --- | --- |',
    ...runs.map((r) => {
      const h = r.during.health;
      return `| ${r.name} | ${h.probes} | ${ms(h.p50Ms)} | ${ms(h.p99Ms)} ${h.p99Ms < HEALTH_TARGET_MS ? '(met)' : '(**missed**)'} | ${ms(h.maxMs)} | ${h.failed} |`;
    }),
    '',
    'Open file descriptors and RSS of the service (`/proc/<pid>/fd`, `VmRSS`): cold (the service just started), before the',
    `load (after ${Math.min(WARMUP_SECONDS, seconds)} s of the same load as a warm-up, so the JIT, the heaps and the allocator have reached their working`,
    'size), at the peak of once-a-second samples during the load, and after it (POST: once its viewers have expired). Each',
    `is read after ${(SETTLE_MS + 500) / 1000} s without requests (past the viewers' 5 s keep-alive, so pooled proxy connections have closed) and`,
    'after a full collection in the main thread (`bench/gc-on-signal.js`; the decode workers collect on their own).',
    `Margins: fds after at most before + ${MARGINS.fds}; RSS after at most ${MARGINS.rss}x before (the viewer load's one viewer, and the`,
    'stacks its flame graph keeps, are in the baseline; the POST load\'s viewers have all expired by "after").',
    '',
    '| load | fds before | fds peak | fds after | RSS cold | RSS before | RSS peak | RSS after | growth per request | within the margins |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map((r) => {
      const within = r.after.fds <= r.before.fds + MARGINS.fds && r.after.rssMb <= r.before.rssMb * MARGINS.rss;
      const perRequestKb = ((r.after.rssMb - r.before.rssMb) * 1024) / r.wrk.requests;
      return `| ${r.name} | ${r.before.fds} | ${r.during.peak.fds} | ${r.after.fds} | ${mb(r.cold.rssMb)} | ${mb(r.before.rssMb)} | ${mb(r.during.peak.rssMb)} | ${mb(r.after.rssMb)} | ${perRequestKb.toFixed(2)} KB | ${within ? 'yes' : '**no**'} |`;
    }),
    '',
    `The machine: ${cores} cores shared by wrk, the harness and the service; load average (1 min) just before each load:`,
    `${runs.map((r) => `${r.name} ${r.loadAverage.toFixed(1)}`).join(', ')} (it lags: the viewer load's still carries the POST load; wrk and the service alone make about 2-3).${options.note ? ` ${options.note}` : ''}`,
    '',
  ];
  const failures = runs.flatMap((r) => r.failures.map((f) => `- ${r.name}: ${f}`));
  lines.push(...(failures.length ? ['**Failures:**', '', ...failures, ''] : ['No failures: every status documented (every 503 with Retry-After), no socket errors, every `/healthz` probe answered, fds and RSS within the margins.', '']));
  return lines;
}

function statuses(run: LoadRun): string {
  return Object.entries(run.wrk.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`).join(', ');
}

function mb(value: number): string {
  return `${value.toFixed(0)} MB`;
}
