import { CapacityError, ServiceError } from '../errors';
import { ProfileType } from '../parameters/profile-types';
import { CaptureState, CaptureStatus } from './capture-status';
import { ViewerProfile } from './viewer-profile';

export type { CaptureState, CaptureStatus } from './capture-status';

export interface PendingCaptureOptions {
  /** How long the capture should take (a CPU profile's seconds; about 0 for the others). */
  expectedSeconds: number;
  /** What is captured, as describeCapture() words it: "a 30 s CPU profile". */
  what?: string;
  startedAt?: Date;
}

/** The viewer's API while the profile is not there yet: 503 with Retry-After, as a full service says it. */
export class CaptureInProgressError extends CapacityError {}

/**
 * The capture failed: 500, as the synchronous answer gives for the same failure (UpstreamError, ProfileError);
 * 502 would say a gateway got a bad answer, and not every failure is the target's (a Secret, the cluster, a decode).
 */
export class CaptureFailedError extends ServiceError {
  readonly status = 500;
}

/**
 * A capture that runs after the answer (async=true): the viewer opens at once on it and serves its progress
 * (api/status); the processor moves it on with analyzing(), then ready(profile) or failed(message). The first of
 * ready/failed wins; later calls are ignored.
 */
export class PendingCapture {
  readonly startedAt: Date;
  readonly expectedAt: Date;
  readonly what: string;
  /** Resolves (never rejects) when the capture settles: 'ready' or 'failed'. */
  readonly settled: Promise<'ready' | 'failed'>;
  private current: CaptureState = 'capturing';
  private failure?: string;
  private result?: ViewerProfile;
  private settle!: (state: 'ready' | 'failed') => void;

  constructor(options: PendingCaptureOptions) {
    this.startedAt = options.startedAt ?? new Date();
    this.expectedAt = new Date(this.startedAt.getTime() + Math.max(0, options.expectedSeconds) * 1000);
    this.what = options.what ?? 'the profile';
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  get state(): CaptureState {
    return this.current;
  }

  get error(): string | undefined {
    return this.failure;
  }

  /** The profile, once ready. */
  get profile(): ViewerProfile | undefined {
    return this.result;
  }

  /** The bytes are in; decoding and analysis run. */
  analyzing(): void {
    if (this.current === 'capturing') this.current = 'analyzing';
  }

  ready(profile: ViewerProfile): void {
    if (this.isSettled()) return;
    this.result = profile;
    this.current = 'ready';
    this.settle('ready');
  }

  failed(message: string): void {
    if (this.isSettled()) return;
    this.failure = message;
    this.current = 'failed';
    this.settle('failed');
  }

  status(now = Date.now()): CaptureStatus {
    const secondsLeft = this.current === 'ready' || this.current === 'failed' ? 0 : secondsUntil(this.expectedAt, now);
    const message = { capturing: `capturing ${this.what}`, analyzing: `analyzing ${this.what}`, ready: `${this.what} is ready`, failed: `capturing ${this.what} failed` }[this.current];
    return {
      state: this.current,
      startedAt: this.startedAt.toISOString(),
      expectedAt: this.expectedAt.toISOString(),
      secondsLeft,
      message,
      ...(this.failure !== undefined ? { error: this.failure } : {}),
    };
  }

  /** The profile for the viewer's API, or why there is none yet (503) or ever (500). */
  require(now = Date.now()): ViewerProfile {
    if (this.result) return this.result;
    if (this.current === 'failed') throw new CaptureFailedError(`capturing the profile failed: ${this.failure}`);
    const left = secondsUntil(this.expectedAt, now);
    const message = this.current === 'analyzing' ? 'the profile is being analyzed' : `the profile is still being captured (${left} s left)`;
    throw new CaptureInProgressError(message, Math.max(1, left));
  }

  private isSettled(): boolean {
    return this.current === 'ready' || this.current === 'failed';
  }
}

/** api/status of a viewer opened on its profile. */
export function readyStatus(profile: ViewerProfile): CaptureStatus {
  const at = profile.fetchedAt.toISOString();
  return { state: 'ready', startedAt: at, expectedAt: at, secondsLeft: 0, message: 'the profile is ready' };
}

/** The page's words for a capture: "a 30 s CPU profile", "a heap profile". */
export function describeCapture(type: ProfileType, durationSeconds: number): string {
  return type === 'Profile' ? `a ${durationSeconds} s CPU profile` : `a ${type.toLowerCase()} profile`;
}

function secondsUntil(when: Date, now: number): number {
  return Math.max(0, Math.ceil((when.getTime() - now) / 1000));
}
