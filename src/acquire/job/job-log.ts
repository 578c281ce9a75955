import { UpstreamError } from '../../errors';
import { bounded } from './bounded';
import { collectorError, decodeFrame, FrameError, framedSize } from '../framing';
import { describeKubeError, KubeClients } from '../kube/clients';
import { COLLECTOR_CONTAINER } from './job-spec';
import { Finished } from './follow-job';

export interface LogOptions {
  clients: KubeClients;
  namespace: string;
  maxProfileBytes: number;
  timeoutMs: number;
}

/** Room for what else a log may hold around the frame (a runtime warning, say). */
const LOG_SLACK_BYTES = 64 * 1024;

/**
 * Reads what the finished collector printed and turns it into the profile or into the collector's own reason.
 * The pod has ended, so the log is read once, not followed: a followed stream can hang.
 */
export async function profileFromLog(finished: Finished, options: LogOptions): Promise<Buffer> {
  const log = await readLog(finished.pod, options);
  if (finished.state === 'collector-failed') {
    throw new UpstreamError(`the collector failed: ${collectorError(log) ?? finished.detail}`);
  }
  try {
    return decodeFrame(log, options.maxProfileBytes);
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
    throw new UpstreamError(`reading the profile back from the log of pod ${options.namespace}/${finished.pod}: ${error.message}`);
  }
}

async function readLog(pod: string, options: LogOptions): Promise<string> {
  const where = `pod ${options.namespace}/${pod}`;
  const read = options.clients.core
    .readNamespacedPodLog({
      name: pod,
      namespace: options.namespace,
      container: COLLECTOR_CONTAINER,
      // Never more than the largest frame we accept: a runaway log cannot fill the service's memory.
      limitBytes: framedSize(options.maxProfileBytes) + LOG_SLACK_BYTES,
    })
    .catch((error: unknown) => {
      const { code, message } = describeKubeError(error);
      const hint = code === 403 ? ' (the service account needs pods/log get in the Job namespace)' : '';
      throw new UpstreamError(`reading the log of ${where}: ${message}${hint}`);
    });
  return bounded(read, options.timeoutMs, `reading the log of ${where}`);
}
