import { parentPort } from 'node:worker_threads';
import { analyze } from '../report/analyze';
import { transferables } from '../profile/profile-data';
import type { AnalyzeJob, AnalyzeReply } from './analyze-pool';

// Runs decode + aggregate for the pool; replies transfer the typed arrays instead of copying them.
parentPort?.on('message', (job: AnalyzeJob) => {
  let reply: AnalyzeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const analysis = analyze(new Uint8Array(job.bytes), job.options);
    const { tree, flat, cum, totals } = analysis.model;
    transfer = [...transferables(analysis.data), flat.buffer, cum.buffer, totals.buffer, tree.parent.buffer, tree.key.buffer, tree.total.buffer, tree.self.buffer] as ArrayBuffer[];
    reply = { id: job.id, analysis };
  } catch (error) {
    const e = error as Error;
    reply = { id: job.id, error: { name: e.name, message: e.message } };
  }
  parentPort?.postMessage(reply, transfer);
});
