// npm run fuzz [-- [--seconds=N] [target ...]]: each target (all by default) under the fuzzer for
// N seconds (30), one after another; prints executions per second and coverage, and exits 1 on any finding.
// Output, the inputs it generated and any finding: test-output/fuzz/<target>/.
import { parseArgs } from 'node:util';
import { fuzzTarget, TargetName, TARGETS } from './fuzz-target';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { seconds: { type: 'string', default: '30' } },
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
  }
  if (found > 0) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(`fuzz: ${error.message}`);
  process.exitCode = 1;
});
