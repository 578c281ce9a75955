/**
 * Typed errors; http/error-middleware.ts is the one place that turns them into a status and a JSON body.
 * Messages name the stage ("fetching profile: ...", "decoding profile: ...").
 */
export interface ErrorDetail {
  key?: string;
  message: string;
}

export abstract class ServiceError extends Error {
  abstract readonly status: number;
  constructor(message: string, readonly details: ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request's parameters are wrong: 400. */
export class InputError extends ServiceError {
  readonly status = 400;
}

/** The profile could not be obtained (upstream, Secret, cluster): 500 with the reason. */
export class UpstreamError extends ServiceError {
  readonly status = 500;
}

/** What came back is not a readable profile: 500. */
export class ProfileError extends ServiceError {
  readonly status = 500;
}

/** Out of viewers or fetch slots, or shutting down: 503. */
export class CapacityError extends ServiceError {
  readonly status = 503;
  constructor(message: string, readonly retryAfterSeconds = 30) {
    super(message);
  }
}

/**
 * The caller hung up before the answer: nothing is sent (there is no one to send it to). 499 is nginx's "client
 * closed request", used here in logs and metrics only.
 */
export class CancelledError extends ServiceError {
  readonly status = 499;
}

/** The request body is over the size limit: 413. */
export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
}

export class MethodNotAllowedError extends ServiceError {
  readonly status = 405;
  constructor(readonly allow: string) {
    super(`method not allowed; use ${allow}`);
  }
}

/** The one JSON shape of every error answer: `{"error": ..., "details": [...]}`. */
export interface ErrorAnswer {
  status: number;
  body: { error: string; details: ErrorDetail[] };
  headers: Record<string, string>;
}

export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof ServiceError) {
    const headers: Record<string, string> = {};
    if (error instanceof CapacityError) headers['retry-after'] = String(error.retryAfterSeconds);
    if (error instanceof MethodNotAllowedError) headers.allow = error.allow;
    return { status: error.status, body: { error: error.message, details: error.details }, headers };
  }
  return { status: 500, body: { error: 'internal error', details: [] }, headers: {} };
}
