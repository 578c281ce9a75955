import { CapacityError } from '../../errors';

/**
 * Where profiles and their records are kept: one small interface, as Thanos' objstore.Bucket serves Pyroscope,
 * Loki and Mimir alike. The local folder (local-bucket.ts) and any S3-compatible store (s3-bucket.ts) implement
 * it; nothing above this folder knows which one it has. test/bucket.test.ts runs the same cases against both.
 *
 * Keys are '/'-separated, relative (no leading '/', no '.' or '..' segment, no empty segment) and at most 1024
 * bytes; anything else is refused with an InvalidKeyError before any I/O.
 */
export interface Bucket {
  /** What a log line or a message calls it: the folder's path, or s3://bucket/prefix. Never a credential. */
  readonly description: string;
  /** Writes the whole object (replacing one of the same key). */
  upload(key: string, bytes: Uint8Array, options?: UploadOptions): Promise<void>;
  /** The object's bytes, or undefined when there is no such object. */
  get(key: string): Promise<Buffer | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with prefix, in ascending key order, listed page by page as it goes. */
  iter(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Where the object is, as an answer's profile_path shows it: the file's absolute path, or s3://bucket/key. */
  locate(key: string): string;
  /** The key of a location that locate() gave, or undefined when it is not one of this bucket's. */
  keyOf(location: string): string | undefined;
}

export interface UploadOptions {
  contentType?: string;
  /** Small string metadata (S3 user metadata, x-amz-meta-*; the local folder ignores it). ASCII values only. */
  metadata?: Record<string, string>;
}

export interface ObjectInfo {
  key: string;
  size: number;
  modified: Date;
}

/**
 * The store could not be reached or refused the operation (down, slow, wrong credentials, no bucket): a writer
 * keeps the data and tries again later (upload-spool.ts); a reader's caller gets a 503 with Retry-After. The
 * message says why, without credentials.
 */
export class StorageUnavailableError extends CapacityError {
  constructor(message: string, override readonly cause?: unknown) {
    super(message, STORE_RETRY_AFTER_SECONDS);
    this.name = 'StorageUnavailableError';
  }
}

const STORE_RETRY_AFTER_SECONDS = 10;

/** A key that is not a plain relative key (see above): a bug or a hostile input, never sent to the store. */
export class InvalidKeyError extends Error {
  constructor(key: string, why: string) {
    super(`invalid storage key ${JSON.stringify(key.slice(0, 200))}: ${why}`);
    this.name = 'InvalidKeyError';
  }
}

const MAX_KEY_BYTES = 1024;

/** Throws InvalidKeyError unless key is a plain relative key; returns it. An empty key is allowed as a prefix only. */
export function checkKey(key: string, { prefix = false } = {}): string {
  if (key === '' && prefix) return key;
  if (key === '') throw new InvalidKeyError(key, 'empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new InvalidKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) throw new InvalidKeyError(key, 'control characters and backslashes are not allowed');
  if (key.startsWith('/')) throw new InvalidKeyError(key, 'absolute');
  const segments = key.split('/');
  // A prefix may end with '/' (its last segment is then empty).
  const checked = prefix && segments[segments.length - 1] === '' ? segments.slice(0, -1) : segments;
  for (const segment of checked) {
    if (segment === '' || segment === '.' || segment === '..') throw new InvalidKeyError(key, `segment ${JSON.stringify(segment)} is not allowed`);
  }
  return key;
}

/** Whether checkKey takes it. */
export function isKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}
