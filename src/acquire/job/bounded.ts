import { UpstreamError } from '../../errors';

/**
 * The generated Kubernetes clients take no deadline, and a stalled API server would hold a request (and, at
 * shutdown, the process) forever; this bounds the wait. The call itself is left to finish or fail on its own.
 */
/** The call did not answer in time: it may still have happened. */
export class NoAnswerError extends UpstreamError {}

export async function bounded<T>(call: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(`${what}: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
