// Runs saved inputs through a fuzz target outside the fuzzer, in a process of its own, three times each:
//   node -r ./test/support/register-ts.js test/fuzz/replay.ts <target> <file>...
// prints one JSON line per file: the fastest run's milliseconds and the error it threw, if any. The fuzzer's
// runner uses it to tell a reproducible finding from a timeout of a machine that stalled the fuzzer's process.
import fs from 'node:fs';
import path from 'node:path';

export interface Replay {
  file: string;
  fastestMs: number;
  error?: string;
}

export function replay(fuzz: (data: Buffer) => void, file: string): Replay {
  const data = fs.readFileSync(file);
  let fastestMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    try {
      fuzz(data);
    } catch (error) {
      return { file, fastestMs: performance.now() - started, error: (error as Error).stack ?? String(error) };
    }
    fastestMs = Math.min(fastestMs, performance.now() - started);
  }
  return { file, fastestMs };
}

if (require.main === module) {
  const [target, ...files] = process.argv.slice(2);
  const { fuzz } = require(path.join(__dirname, 'targets', `${target}.ts`)) as { fuzz: (data: Buffer) => void };
  for (const file of files) console.log(JSON.stringify(replay(fuzz, file)));
}
