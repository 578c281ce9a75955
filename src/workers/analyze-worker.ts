import { parentPort, workerData } from 'node:worker_threads';
import zlib from 'node:zlib';
import { mergeDiff } from '../profile/merge/merge-diff';
import { mergeProfilesRaw } from '../profile/merge/merge-profiles';
import { joinParts } from '../profile/inflate-stream';
import { transferables } from '../profile/profile-data';
import { analyze, Analysis } from '../report/analyze';
import { resultTransferables, runReportJob } from '../report/jobs';
import { compileWasmModules } from '../wasm-module';
import { warmUpDecoder } from './warm-up';
import type { AnalyzeWorkerData, WorkerMessage, WorkerReply } from './analyze-pool';

// Runs the pool's jobs: decode + aggregate of new profiles, and refined views of decoded ones (whose typed arrays
// arrive shared, not copied). Replies transfer their own buffers instead of copying them.
parentPort?.on('message', (message: WorkerMessage) => {
  if (message.kind === 'gc') {
    // Only under --expose-gc (the bench): a memory measurement should see live data, not this thread's garbage.
    (globalThis as { gc?: () => void }).gc?.();
    parentPort?.postMessage({ id: message.id, collected: true } satisfies WorkerReply);
    return;
  }
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (message.kind === 'analyze') {
      // The bytes are this worker's own (transferred): freed once gunzipped, or once read when they came gunzipped.
      const bytes = message.bytes instanceof Uint8Array ? message.bytes : joinParts(message.bytes);
      const analysis = analyze(bytes, { ...message.options, releaseInput: true });
      transfer = analysisTransfer(analysis);
      reply = { id: message.id, result: analysis };
    } else if (message.kind === 'merge') {
      const inputs = message.inputs.map((input) => ({ ...input, bytes: new Uint8Array(input.bytes) }));
      // Decoded before gzip, so that the decode does not gunzip what was just written.
      const { maxBytes } = message.options;
      const raw = message.diff ? mergeDiff(inputs[0], inputs[1], { maxBytes, normalize: message.diff.normalize }) : mergeProfilesRaw(inputs, { maxBytes });
      const analysis = analyze(raw, message.options);
      const gzipped = zlib.gzipSync(raw, { level: 1 });
      // Transfer only a buffer the array has to itself (zlib may hand out a slice of a larger one).
      const merged = gzipped.byteLength === gzipped.buffer.byteLength ? gzipped : gzipped.slice();
      transfer = [merged.buffer as ArrayBuffer, ...analysisTransfer(analysis)];
      reply = { id: message.id, result: { merged, analysis } };
    } else {
      const result = runReportJob(message.data, message.job);
      transfer = resultTransferables(result);
      reply = { id: message.id, result };
    }
  } catch (error) {
    const e = error as Error;
    reply = { id: message.id, error: { name: e.name, message: e.message } };
  }
  parentPort?.postMessage(reply, transfer);
});
/** A decode's arrays and its model's, moved to the main thread rather than copied. */
function analysisTransfer(analysis: Analysis): ArrayBuffer[] {
  return [...transferables(analysis.data), ...resultTransferables(analysis.model)];
}

// Modules loaded, the WebAssembly ones compiled and, in the service, the decoder run on profiles of its own ahead of
// the first real one (warm-up.ts): the pool starts a job's time limit from here.
compileWasmModules();
const warmUpSamples = (workerData as AnalyzeWorkerData | undefined)?.warmUp ? warmUpDecoder({ maxBytes: 1 << 30 }) : 0;
parentPort?.postMessage({ ready: true, warmUpSamples } satisfies WorkerReply);
