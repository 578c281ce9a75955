#!/usr/bin/env node
// kubectl-go_profiler: kubectl finds a plugin by this executable name on the PATH (`kubectl go-profiler ...`).
import { EXIT, runCommand } from './command';

const interrupt = new AbortController();
let stopped: () => void = () => undefined;
const untilStopped = new Promise<void>((resolve) => (stopped = resolve));
process.once('SIGINT', () => {
  interrupt.abort(new Error('interrupted'));
  stopped();
  // A second Ctrl-C does not wait for the Job's deletion.
  process.once('SIGINT', () => process.exit(EXIT.interrupted));
});
process.once('SIGTERM', () => {
  interrupt.abort(new Error('terminated'));
  stopped();
});

runCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupted: interrupt.signal, untilStopped }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kubectl-go_profiler: ${(error as Error).message}\n`);
    process.exitCode = EXIT.failed;
  },
);
