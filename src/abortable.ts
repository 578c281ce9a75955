/**
 * Work that a caller may stop waiting for: the caller hung up (KubeDiag's executor at its timeout, Ctrl-C on curl).
 * Whatever can be stopped is stopped by its own module (a fetch destroys its socket, a queued job leaves its
 * queue); this is for the rest, whose result is then dropped.
 */
export function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
