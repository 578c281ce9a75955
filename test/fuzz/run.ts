// npm run fuzz [-- [--seconds=N] [--merge] [target ...]]: each target (all by default) under the fuzzer for
// N seconds (30), one after another; prints executions per second and coverage, and exits 1 on any finding.
// Output, the inputs it generated and any finding: test-output/fuzz/<target>/. --merge then adds to the
// committed corpus (corpus/<target>/found/) the generated inputs of up to 4 KiB that bring new coverage.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CORPUS, fuzzTarget, mergeCorpus, OUTPUT, TargetName, TARGETS } from './fuzz-target';

const MERGE_MAX_LEN = 4096;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { seconds: { type: 'string', default: '30' }, merge: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const seconds = Number(values.seconds);
  if (!(Number.isInteger(seconds) && seconds > 0)) throw new Error(`--seconds must be a whole number of seconds, not ${values.seconds}`);
  const unknown = positionals.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0) throw new Error(`no such target: ${unknown.join(', ')} (targets: ${TARGETS.join(', ')})`);
  const targets = (positionals.length > 0 ? positionals : TARGETS) as TargetName[];

  let found = 0;
  for (const target of targets) {
    process.stderr.write(`fuzzing ${target} for ${seconds} s ...\n`);
    const r = await fuzzTarget(target, { seconds });
    const stalls = r.stalls.length > 0 ? `, ${r.stalls.length} stalls of the machine (timeouts that replay in ${Math.round(Math.max(...r.stalls.map((s) => s.fastestMs)))} ms at most)` : '';
    console.log(`${target}: ${r.runs} runs in ${r.seconds} s, ${r.execPerSecond} exec/s, cov: ${r.cov} ft: ${r.ft}, ${r.corpusFiles} new inputs${stalls}`);
    for (const f of r.findings) console.log(`  FINDING ${f.file}: ${f.note ?? (f.replay?.error ?? `${Math.round(f.replay?.fastestMs ?? 0)} ms`)}`);
    found += r.findings.length;
    if (values.merge && r.findings.length === 0) {
      const log = await mergeCorpus(target, path.join(CORPUS, target, 'found'), [path.join(OUTPUT, target, 'corpus')], MERGE_MAX_LEN);
      console.log(`  merged: ${/MERGE-OUTER: (\d+ new files)/.exec(log)?.[1] ?? 'no new files'} in ${path.relative(process.cwd(), path.join(CORPUS, target, 'found'))}`);
    }
  }
  if (found > 0) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(`fuzz: ${error.message}`);
  process.exitCode = 1;
});
