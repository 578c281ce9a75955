import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Bucket, ObjectInfo, UploadOptions, checkKey, isKey } from './bucket';
import { endpointForMessages, s3Failure } from './s3-errors';

export interface S3BucketOptions {
  bucket: string;
  /** Keys are stored under it: '' for the bucket's top, else a key prefix ('/' is added when it has none). */
  prefix: string;
  /** An S3-compatible store's URL (MinIO, SeaweedFS, Ceph, ...); AWS's own for the region when absent. */
  endpoint?: string;
  region: string;
  /** https://endpoint/bucket/key rather than https://bucket.endpoint/key: what most S3-compatible stores need. */
  forcePathStyle: boolean;
  /**
   * Each attempt's bound, connecting and the whole transfer included: a store that is down or hangs fails within
   * about twice this (two attempts). Leave room for the largest object at the slowest expected link.
   */
  requestTimeoutMs: number;
  /** Keys per ListObjectsV2 page (S3's most, 1000, when absent). Visible for testing. */
  listPageSize?: number;
}

/** One retry: the caller keeps what it could not store and tries again later, so fail fast rather than wait. */
const MAX_ATTEMPTS = 2;

/**
 * A Bucket in any S3-compatible object store. Credentials are never passed in: the SDK's default chain finds them
 * (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a web identity token as EKS IRSA mounts it, the shared files).
 * Every failure to reach the store, or a refusal by it, is a StorageUnavailableError naming the bucket and why.
 */
export class S3Bucket implements Bucket {
  readonly description: string;
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly endpoint: string;

  constructor(private readonly options: S3BucketOptions) {
    this.prefix = options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
    if (this.prefix !== '') checkKey(this.prefix, { prefix: true });
    this.description = `s3://${options.bucket}/${this.prefix}`;
    this.endpoint = endpointForMessages(options.endpoint, options.region);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      maxAttempts: MAX_ATTEMPTS,
      // Checksums only where S3 requires them: not every S3-compatible store knows the newer checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        connectionTimeout: options.requestTimeoutMs,
        requestTimeout: options.requestTimeoutMs,
        throwOnRequestTimeout: true,
      }),
    });
  }

  /** Whether the store answers and the bucket is there and ours to use (HeadBucket): for a log line at start. */
  async check(): Promise<void> {
    const command = new HeadBucketCommand({ Bucket: this.options.bucket });
    await this.call('reach the bucket', () => this.client.send(command), { notFound: 'NoSuchBucket' });
  }

  async upload(key: string, bytes: Uint8Array, options: UploadOptions = {}): Promise<void> {
    const command = new PutObjectCommand({
      Bucket: this.options.bucket,
      Key: this.storedKey(key),
      Body: bytes,
      ContentLength: bytes.byteLength,
      ContentType: options.contentType,
      Metadata: checkMetadata(options.metadata),
    });
    await this.call(`upload ${key}`, () => this.client.send(command));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.storedKey(key) });
    const answer = await this.call(`get ${key}`, () => this.client.send(command), { missing: ['NoSuchKey'] });
    if (answer === undefined) return undefined;
    try {
      if (answer.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await answer.Body.transformToByteArray());
    } catch (error) {
      throw s3Failure(error, this.context(`get ${key}`));
    }
  }

  /** HEAD answers a bare 404 for a missing bucket as for a missing key: a second HEAD tells them apart. */
  async exists(key: string): Promise<boolean> {
    const command = new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.storedKey(key) });
    const found = await this.call(`look for ${key}`, () => this.client.send(command), { missing: ['NotFound', 'NoSuchKey'] });
    if (found !== undefined) return true;
    await this.check();
    return false;
  }

  async *iter(prefix: string): AsyncIterable<ObjectInfo> {
    checkKey(prefix, { prefix: true });
    let continuation: string | undefined;
    do {
      const command = new ListObjectsV2Command({
        Bucket: this.options.bucket,
        Prefix: this.prefix + prefix,
        MaxKeys: this.options.listPageSize,
        ContinuationToken: continuation,
      });
      const page = await this.call(`list ${prefix || '(all)'}`, () => this.client.send(command));
      for (const object of page?.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        if (key === undefined || !isKey(key)) continue; // put there by something else: not one of ours
        yield { key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      continuation = page?.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuation);
  }

  async delete(key: string): Promise<void> {
    const command = new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.storedKey(key) });
    await this.call(`delete ${key}`, () => this.client.send(command));
  }

  locate(key: string): string {
    return `s3://${this.options.bucket}/${this.storedKey(key)}`;
  }

  keyOf(location: string): string | undefined {
    const start = `s3://${this.options.bucket}/${this.prefix}`;
    if (!location.startsWith(start)) return undefined;
    const key = location.slice(start.length);
    return isKey(key) ? key : undefined;
  }

  /** Stops the client's connections (tests; the service keeps one bucket for its life). */
  close(): void {
    this.client.destroy();
  }

  private storedKey(key: string): string {
    return this.prefix + checkKey(key);
  }

  /**
   * The request's answer, or undefined when the error's name is one of `missing`; other errors as s3Failure
   * says. `notFound` names a bare 404 (a HEAD has no body to say which thing is missing).
   */
  private async call<Output>(
    action: string,
    request: () => Promise<Output>,
    { missing = [], notFound }: { missing?: string[]; notFound?: string } = {},
  ): Promise<Output | undefined> {
    try {
      return await request();
    } catch (error) {
      const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (failure.name !== undefined && missing.includes(failure.name)) return undefined;
      if (notFound && failure.$metadata?.httpStatusCode === 404) failure.name = notFound;
      throw s3Failure(error, this.context(action));
    }
  }

  private context(action: string) {
    return { description: this.description, endpoint: this.endpoint, action, requestTimeoutMs: this.options.requestTimeoutMs };
  }
}

function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  for (const [name, value] of Object.entries(metadata ?? {})) {
    // eslint-disable-next-line no-control-regex
    if (!/^[A-Za-z0-9-]+$/.test(name) || !/^[\u0020-\u007e]*$/.test(value)) {
      throw new Error(`S3 metadata ${JSON.stringify(name)}: names are letters, digits and '-', values printable ASCII`);
    }
  }
  return metadata;
}
