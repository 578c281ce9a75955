/**
 * How a container's end is reported (the terminated state a runtime and the
 * kubelet make of an exit) and what restartPolicy makes of it.
 */
import { terminationMessage } from './container-logs';
import type { ProcessExit } from './container-process';
import { containerID, now, type Terminated } from './pod-status';

export interface ExitContext {
  startedAt?: string;
  /** The instance's log, for terminationMessagePolicy FallbackToLogsOnError. */
  logFile?: string;
  fallbackToLogs: boolean;
  pid?: number;
}

export async function terminatedState(exit: ProcessExit, context: ExitContext): Promise<Terminated> {
  const { exitCode, startError } = exit;
  const fromLog = exitCode !== 0 && !startError && context.fallbackToLogs && context.logFile;
  const message = startError ?? (fromLog ? await terminationMessage(context.logFile as string) : undefined);
  return {
    exitCode,
    reason: startError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
    ...(message ? { message } : {}),
    // A container that never started has the zero time, as the kubelet reports it.
    startedAt: startError ? '1970-01-01T00:00:00Z' : context.startedAt,
    finishedAt: now(),
    ...(context.pid === undefined ? {} : { containerID: containerID(context.pid) }),
  };
}

/** A pod stopped before its container ever ran, as the kubelet reports a container it cannot find. */
export function neverRan(): Terminated {
  return { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: now() };
}

export function restarts(policy: string | undefined, exitCode: number): boolean {
  return policy === 'Always' || policy === undefined || (policy === 'OnFailure' && exitCode !== 0);
}
