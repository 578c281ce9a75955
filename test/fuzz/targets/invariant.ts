// What every fuzz target asserts, whatever the input: the code under test returns, or refuses with its own typed
// error and a message that names the stage; nothing else escapes, and no run takes a second. A broken invariant
// is thrown, which the fuzzer reports as a finding with the input that broke it.

/** The longest one input may take, refusal included (the fuzzer's own timeout, --timeout, catches a hang). */
export const RUN_LIMIT_MS = 1000;

/**
 * Runs one input, throwing when it took more than RUN_LIMIT_MS of CPU: the work the input costs, which a busy
 * machine that leaves the process waiting does not inflate (the fuzzer's wall-clock timeout is the backstop).
 */
export function timed(what: string, run: () => void): void {
  const started = process.cpuUsage();
  run();
  const { user, system } = process.cpuUsage(started);
  const took = (user + system) / 1000;
  drainNextTicks();
  if (took > RUN_LIMIT_MS) throw new Error(`${what} took ${Math.round(took)} ms of CPU, more than ${RUN_LIMIT_MS} ms`);
}

/**
 * Runs what process.nextTick queued during the input. The fuzzer (--sync) calls the target in a loop that never
 * returns to the event loop, so such callbacks would pile up: zlib's sync methods close their handle that way,
 * and a gunzip that fails kept 16 KB each, 2 GB (libFuzzer's memory limit) in about 120,000 runs. The service's
 * decode workers turn their event loop between profiles. _tickCallback is Node's own, undocumented.
 */
function drainNextTicks(): void {
  const tick = (process as unknown as { _tickCallback?: () => void })._tickCallback;
  tick?.call(process);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** A clean refusal: an instance of the module's typed error whose message matches the stage. Anything else is rethrown. */
export function expectRefusal(error: unknown, type: ErrorClass, stage: RegExp): void {
  if (!(error instanceof type)) throw error;
  if (!stage.test(error.message)) throw new Error(`refused with a ${type.name} whose message does not name the stage: ${JSON.stringify(error.message.slice(0, 300))}`);
}

export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`broken invariant: ${what}`);
}
