// Preloaded into the service by the bench's load part (node --expose-gc -r ./bench/gc-on-signal.js): SIGUSR2
// runs a full collection in the main thread, so RSS before and after a load is read on live data, not on garbage
// the next collection would free. The service itself has no such hook.
'use strict';
if (require('node:worker_threads').isMainThread) {
  process.on('SIGUSR2', () => global.gc?.());
}
