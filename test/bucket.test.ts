/**
 * The Bucket contract (src/storage/bucket/bucket.ts), the same cases against the local folder and a real
 * S3-compatible store (SeaweedFS, test/support/s3-server.ts); then what only S3 has: credentials, a missing
 * bucket, a store that is down or hangs and comes back, user metadata.
 */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Bucket, InvalidKeyError, ObjectInfo, StorageUnavailableError } from '../src/storage/bucket/bucket';
import { LocalBucket } from '../src/storage/bucket/local-bucket';
import { S3Bucket, S3BucketOptions } from '../src/storage/bucket/s3-bucket';
import { S3Server, startS3Server } from './support/s3-server';

// A cold start builds SeaweedFS (minutes; `npm test`'s pretest does it first); a warm one takes seconds.
const START_TIMEOUT_MS = 20 * 60_000;
const CONTRACT_BUCKET = 'contract';
const AWS_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'];

let server: S3Server;
let scratch: string;
const savedEnv = Object.fromEntries(AWS_ENV.map((name) => [name, process.env[name]]));
const opened: S3Bucket[] = [];

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bucket-test-'));
  server = await startS3Server();
  await server.createBucket(CONTRACT_BUCKET);
  // The default credential chain finds these, as it would in a pod.
  setAwsEnv({ AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey });
}, START_TIMEOUT_MS);

afterEach(() => opened.splice(0).forEach((bucket) => bucket.close()));

afterAll(async () => {
  setAwsEnv(savedEnv);
  await server?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function setAwsEnv(values: Record<string, string | undefined>): void {
  for (const name of AWS_ENV) {
    if (values[name] === undefined) delete process.env[name];
    else process.env[name] = values[name];
  }
}

function s3Bucket(options: Partial<S3BucketOptions> = {}): S3Bucket {
  const bucket = new S3Bucket({
    bucket: CONTRACT_BUCKET,
    prefix: `t-${crypto.randomBytes(4).toString('hex')}/`,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    requestTimeoutMs: 3000,
    ...options,
  });
  opened.push(bucket);
  return bucket;
}

function localBucket(): LocalBucket {
  return new LocalBucket(fs.mkdtempSync(path.join(scratch, 'root-')));
}

function adminClient(): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
}

async function all(bucket: Bucket, prefix = ''): Promise<ObjectInfo[]> {
  const listed: ObjectInfo[] = [];
  for await (const info of bucket.iter(prefix)) listed.push(info);
  return listed;
}

async function keys(bucket: Bucket, prefix = ''): Promise<string[]> {
  return (await all(bucket, prefix)).map((info) => info.key);
}

/** Ascending by UTF-8 bytes, as S3 lists keys. */
function byBytes(list: string[]): string[] {
  return [...list].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

const BAD_KEYS = ['../x', '/abs', 'a//b', 'a\u0000b', '', 'a/./b', 'a/../../x', 'a\\b', 'a/', 'x'.repeat(1025)];

describe.each([
  ['LocalBucket', localBucket],
  ['S3Bucket', () => s3Bucket()],
])('%s: the Bucket contract', (_name, make: () => Bucket) => {
  test('upload, get, exists, delete; a missing key is undefined, false, and deleting it is no error', async () => {
    const bucket = make();
    expect(await bucket.get('a/b.prof')).toBeUndefined();
    expect(await bucket.exists('a/b.prof')).toBe(false);
    await bucket.upload('a/b.prof', Buffer.from('profile bytes'));
    expect((await bucket.get('a/b.prof'))?.toString()).toBe('profile bytes');
    expect(await bucket.exists('a/b.prof')).toBe(true);
    expect(await bucket.exists('a/b')).toBe(false);
    expect(await bucket.exists('a')).toBe(false);
    await bucket.delete('a/b.prof');
    expect(await bucket.get('a/b.prof')).toBeUndefined();
    expect(await bucket.exists('a/b.prof')).toBe(false);
    await expect(bucket.delete('a/b.prof')).resolves.toBeUndefined();
    await expect(bucket.delete('never/was')).resolves.toBeUndefined();
    expect(await keys(bucket)).toEqual([]);
  });

  test('an upload replaces the object of the same key', async () => {
    const bucket = make();
    await bucket.upload('k', Buffer.from('first, longer version'));
    await bucket.upload('k', Buffer.from('second'));
    expect((await bucket.get('k'))?.toString()).toBe('second');
    expect((await all(bucket)).map(({ key, size }) => ({ key, size }))).toEqual([{ key: 'k', size: 6 }]);
  });

  test('bytes round-trip exactly: every byte value, an empty object, a megabyte of random bytes', async () => {
    const bucket = make();
    const everyByte = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const random = crypto.randomBytes(1024 * 1024 + 3);
    await bucket.upload('every-byte', everyByte);
    await bucket.upload('empty', new Uint8Array(0));
    await bucket.upload('random', new Uint8Array(random.buffer, random.byteOffset, random.byteLength));
    expect((await bucket.get('every-byte'))?.equals(everyByte)).toBe(true);
    expect((await bucket.get('empty'))?.length).toBe(0);
    expect(await bucket.exists('empty')).toBe(true);
    expect((await bucket.get('random'))?.equals(random)).toBe(true);
  });

  test('iter lists keys in ascending UTF-8 byte order with their sizes and times', async () => {
    const bucket = make();
    // '-' < '/' < '0' in bytes: a folder's keys sort between its siblings; U+FF61 < U+1F600 in UTF-8, not in UTF-16.
    const written = ['b', 'a/b', 'a-b', 'a0', 'a/a/x', 'A', 'é', '\uff61', '\u{1f600}', 'a.b', 'z/y/x/w'];
    const before = Date.now();
    for (const key of written) await bucket.upload(key, Buffer.from(key));
    const listed = await all(bucket);
    expect(listed.map((info) => info.key)).toEqual(byBytes(written));
    for (const info of listed) {
      expect(info.size).toBe(Buffer.byteLength(info.key));
      expect(info.modified.getTime()).toBeGreaterThan(before - 60_000);
      expect(info.modified.getTime()).toBeLessThan(Date.now() + 60_000);
    }
  });

  test('iter(prefix) lists only the keys that start with it', async () => {
    const bucket = make();
    const written = ['a/b.prof', 'a/bc/d', 'a/c', 'a-b', 'ab', 'b/a/b.prof'];
    for (const key of written) await bucket.upload(key, Buffer.from('x'));
    expect(await keys(bucket, 'a/')).toEqual(['a/b.prof', 'a/bc/d', 'a/c']);
    expect(await keys(bucket, 'a/b')).toEqual(['a/b.prof', 'a/bc/d']);
    expect(await keys(bucket, 'a')).toEqual(byBytes(['a/b.prof', 'a/bc/d', 'a/c', 'a-b', 'ab']));
    expect(await keys(bucket, 'a/bc/')).toEqual(['a/bc/d']);
    expect(await keys(bucket, 'b/a/b.prof')).toEqual(['b/a/b.prof']);
    expect(await keys(bucket, 'nothing/')).toEqual([]);
    expect(await keys(bucket, 'a/bcd')).toEqual([]);
    expect(await keys(bucket, '')).toEqual(byBytes(written));
  });

  test.each(BAD_KEYS.map((key) => [JSON.stringify(key).slice(0, 40), key]))('key %s is refused before any I/O', async (_shown, key) => {
    const bucket = make();
    await expect(bucket.upload(key, Buffer.from('x'))).rejects.toThrow(InvalidKeyError);
    await expect(bucket.get(key)).rejects.toThrow(InvalidKeyError);
    await expect(bucket.exists(key)).rejects.toThrow(InvalidKeyError);
    await expect(bucket.delete(key)).rejects.toThrow(InvalidKeyError);
    expect(() => bucket.locate(key)).toThrow(InvalidKeyError);
    expect(await keys(bucket)).toEqual([]);
  });

  test('a prefix is checked as a key is, except that it may be empty or end with /', async () => {
    const bucket = make();
    for (const prefix of ['../', '/x', 'a//', 'a/../b', 'a\u0000']) await expect(keys(bucket, prefix)).rejects.toThrow(InvalidKeyError);
    await expect(keys(bucket, 'a/')).resolves.toEqual([]);
  });

  test('locate and keyOf are each other’s reverse; keyOf refuses what is not this bucket’s', async () => {
    const bucket = make();
    for (const key of ['a', 'a/b/c.prof', 'é/\u{1f600}']) expect(bucket.keyOf(bucket.locate(key))).toBe(key);
    const location = bucket.locate('a/b');
    expect(bucket.keyOf(location.replace(/a\/b$/, ''))).toBeUndefined();
    expect(bucket.keyOf(location.replace(/a\/b$/, '../x'))).toBeUndefined();
    expect(bucket.keyOf(location.replace(/a\/b$/, 'a//b'))).not.toBe('a//b');
    expect(bucket.keyOf('/etc/passwd')).toBeUndefined();
    expect(bucket.keyOf('s3://another-bucket/a/b')).toBeUndefined();
    expect(bucket.keyOf('a/b')).toBeUndefined();
  });

  test('concurrent uploads of one key leave one of them, whole', async () => {
    const bucket = make();
    const versions = Array.from({ length: 12 }, (_, i) => Buffer.alloc(50_000 + i * 1000, i + 1));
    await Promise.all(versions.map((bytes) => bucket.upload('same', bytes)));
    const stored = await bucket.get('same');
    expect(versions.some((bytes) => stored?.equals(bytes))).toBe(true);
    expect(await keys(bucket)).toEqual(['same']);
  });
});

describe('LocalBucket', () => {
  test('keys are files under the folder; locate gives the absolute path', async () => {
    const bucket = localBucket();
    await bucket.upload('p/q/r.prof', Buffer.from('r'));
    const file = bucket.locate('p/q/r.prof');
    expect(path.isAbsolute(file)).toBe(true);
    expect(file).toBe(path.join(bucket.description, 'p', 'q', 'r.prof'));
    expect(fs.readFileSync(file, 'utf8')).toBe('r');
  });

  test('a refused key writes nothing, neither in the folder nor beside it', async () => {
    const parent = fs.mkdtempSync(path.join(scratch, 'parent-'));
    const bucket = new LocalBucket(path.join(parent, 'root'));
    fs.mkdirSync(bucket.description);
    for (const key of BAD_KEYS) await expect(bucket.upload(key, Buffer.from('x'))).rejects.toThrow(InvalidKeyError);
    expect(fs.readdirSync(parent)).toEqual(['root']);
    expect(fs.readdirSync(bucket.description)).toEqual([]);
    expect(fs.existsSync('/abs')).toBe(false);
  });

  test('refuses a symbolic link that leads outside its folder, for reads, writes and deletes', async () => {
    const bucket = localBucket();
    const outside = fs.mkdtempSync(path.join(scratch, 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret'), 'not yours');
    fs.symlinkSync(path.join(outside, 'secret'), path.join(bucket.description, 'link'));
    fs.symlinkSync(outside, path.join(bucket.description, 'dir'));
    await expect(bucket.get('link')).rejects.toThrow(InvalidKeyError);
    await expect(bucket.exists('link')).rejects.toThrow(InvalidKeyError);
    await expect(bucket.get('dir/secret')).rejects.toThrow(InvalidKeyError);
    await expect(bucket.upload('dir/planted', Buffer.from('x'))).rejects.toThrow(InvalidKeyError);
    await bucket.delete('dir/secret');
    expect(await keys(bucket)).toEqual([]);
    expect(fs.readdirSync(outside)).toEqual(['secret']);
    expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('not yours');
  });

  test('a link that stays inside the folder is followed for reads', async () => {
    const bucket = localBucket();
    await bucket.upload('real/file', Buffer.from('inside'));
    fs.symlinkSync(path.join(bucket.description, 'real', 'file'), path.join(bucket.description, 'alias'));
    expect((await bucket.get('alias'))?.toString()).toBe('inside');
  });

  test('uploads leave no temporary files; a leftover one is never listed', async () => {
    const bucket = localBucket();
    await bucket.upload('a/b', Buffer.from('x'));
    expect(fs.readdirSync(path.join(bucket.description, 'a'))).toEqual(['b']);
    fs.writeFileSync(path.join(bucket.description, 'a', 'c\\0123456789ab.tmp'), 'half a profile');
    expect(await keys(bucket)).toEqual(['a/b']);
  });

  test('delete removes the folders it leaves empty, never the root', async () => {
    const bucket = localBucket();
    await bucket.upload('x/y/z/1', Buffer.from('1'));
    await bucket.upload('x/2', Buffer.from('2'));
    await bucket.delete('x/y/z/1');
    expect(fs.readdirSync(path.join(bucket.description, 'x'))).toEqual(['2']);
    await bucket.delete('x/2');
    expect(fs.readdirSync(bucket.description)).toEqual([]);
  });

  test('a folder that does not exist yet lists nothing and is made by the first upload', async () => {
    const bucket = new LocalBucket(path.join(scratch, `later-${crypto.randomBytes(4).toString('hex')}`, 'data'));
    expect(await keys(bucket)).toEqual([]);
    expect(await bucket.get('a')).toBeUndefined();
    await bucket.upload('a', Buffer.from('a'));
    expect(await keys(bucket)).toEqual(['a']);
  });
});

describe('S3Bucket against SeaweedFS', () => {
  test('objects are stored under the prefix; locate is s3://bucket/prefix/key', async () => {
    const bucket = s3Bucket({ prefix: 'profiles' });
    expect(bucket.description).toBe(`s3://${CONTRACT_BUCKET}/profiles/`);
    await bucket.upload('ns/pod/heap.prof', Buffer.from('h'));
    expect(bucket.locate('ns/pod/heap.prof')).toBe(`s3://${CONTRACT_BUCKET}/profiles/ns/pod/heap.prof`);
    const listed = await adminClient().send(new ListObjectsV2Command({ Bucket: CONTRACT_BUCKET, Prefix: 'profiles/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['profiles/ns/pod/heap.prof']);
    await bucket.delete('ns/pod/heap.prof');
  });

  test('metadata and content type go to the object (HeadObject shows them)', async () => {
    const bucket = s3Bucket({ prefix: 'meta' });
    await bucket.upload('m.prof', Buffer.from('m'), { contentType: 'application/vnd.google.protobuf', metadata: { 'profile-type': 'Heap', source: 'http://10.0.0.1:6060' } });
    const head = await adminClient().send(new HeadObjectCommand({ Bucket: CONTRACT_BUCKET, Key: 'meta/m.prof' }));
    expect(head.Metadata).toEqual({ 'profile-type': 'Heap', source: 'http://10.0.0.1:6060' });
    expect(head.ContentType).toBe('application/vnd.google.protobuf');
    await expect(bucket.upload('n.prof', Buffer.from('n'), { metadata: { note: 'non-ASCII é' } })).rejects.toThrow(/printable ASCII/);
  });

  test('iter pages past 1000 keys, and with a small page size, in order and complete', async () => {
    await server.createBucket('paging');
    const bucket = s3Bucket({ bucket: 'paging', prefix: '' });
    const written = Array.from({ length: 1010 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < written.length; i += 25) {
      await Promise.all(written.slice(i, i + 25).map((key) => bucket.upload(key, Buffer.from(key))));
    }
    expect(await keys(bucket)).toEqual(written);
    expect(await keys(s3Bucket({ bucket: 'paging', prefix: '', listPageSize: 7 }), 'k/09')).toEqual(written.slice(900, 1000));
  }, 120_000);

  test('keys refused by checkKey never reach the store: no request even to a store that is down', async () => {
    const bucket = s3Bucket({ endpoint: 'http://127.0.0.1:9' });
    for (const key of BAD_KEYS) {
      await expect(bucket.upload(key, Buffer.from('x'))).rejects.toThrow(InvalidKeyError);
      await expect(bucket.get(key)).rejects.toThrow(InvalidKeyError);
    }
    await expect(bucket.get('good')).rejects.toThrow(StorageUnavailableError);
  });

  test('wrong secret or unknown access key: StorageUnavailableError saying so, with no secret in it', async () => {
    const wrongSecret = `wrong-${crypto.randomBytes(12).toString('hex')}`;
    const attempts = await withAwsEnv({ AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: wrongSecret }, () => everyOperation(s3Bucket()));
    const unknownKey = await withAwsEnv({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN00000000', AWS_SECRET_ACCESS_KEY: wrongSecret }, () => everyOperation(s3Bucket()));
    for (const error of [...attempts, ...unknownKey]) {
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(error.message).toMatch(new RegExp(`^s3://${CONTRACT_BUCKET}/t-\\w+/: cannot .+: access denied: check the credentials \\((SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|HTTP 403)\\)$`));
      for (const secret of [wrongSecret, server.secretKey]) {
        expect(error.message).not.toContain(secret);
        expect(inspect(error, { depth: 10 })).not.toContain(secret);
      }
    }
    expect(attempts.map((error) => error.message).join('\n')).toContain('(SignatureDoesNotMatch)');
    expect(unknownKey.map((error) => error.message).join('\n')).toContain('(InvalidAccessKeyId)');
  });

  test('no credentials anywhere: StorageUnavailableError naming where they are looked for', async () => {
    const missing = path.join(scratch, 'no-such-file');
    const errors = await withAwsEnv({ AWS_SHARED_CREDENTIALS_FILE: missing, AWS_CONFIG_FILE: missing, AWS_EC2_METADATA_DISABLED: 'true' }, async () => [
      await s3Bucket()
        .get('x')
        .then(() => undefined, (error: Error) => error),
    ]);
    expect(errors[0]).toBeInstanceOf(StorageUnavailableError);
    expect(errors[0]?.message).toMatch(/cannot get x: no credentials found \(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  test('a bucket that does not exist: StorageUnavailableError (NoSuchBucket) for every operation', async () => {
    const errors = await everyOperation(s3Bucket({ bucket: 'no-such-bucket' }));
    expect(errors).toHaveLength(6);
    for (const error of errors) {
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(error.message).toMatch(/^s3:\/\/no-such-bucket\/t-\w+\/: cannot .+: the bucket does not exist \(NoSuchBucket\)$/);
    }
  });

  test('the store stopped: StorageUnavailableError within seconds; after restart the same data is back', async () => {
    const bucket = s3Bucket({ requestTimeoutMs: 2000 });
    await bucket.upload('kept', Buffer.from('still here'));
    await server.stop();
    try {
      const started = Date.now();
      const errors = await everyOperation(bucket);
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const error of errors) {
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect(error.message).toMatch(new RegExp(`cannot .+: cannot connect to ${server.endpoint}: ECONNREFUSED$`));
      }
    } finally {
      await server.restart();
    }
    expect((await bucket.get('kept'))?.toString()).toBe('still here');
    await bucket.upload('after', Buffer.from('again'));
    expect(await keys(bucket)).toEqual(['after', 'kept']);
  }, 90_000);

  test('the store hangs: each operation fails after its timeout, and works once the store answers again', async () => {
    const bucket = s3Bucket({ requestTimeoutMs: 1000 });
    await bucket.upload('kept', Buffer.from('x'));
    server.pause();
    try {
      for (const operation of [() => bucket.get('kept'), () => bucket.upload('new', Buffer.from('y')), () => keys(bucket)]) {
        const started = Date.now();
        const error = await operation().then(() => undefined, (failure: Error) => failure);
        expect(Date.now() - started).toBeLessThan(5_000); // two attempts of 1 s each, and a short back-off
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect(error?.message).toMatch(new RegExp(`no answer from ${server.endpoint} within 1000 ms$`));
      }
    } finally {
      server.resume();
    }
    expect((await bucket.get('kept'))?.toString()).toBe('x');
  }, 60_000);

  test('check() answers for a bucket that is there and names why for one that is not', async () => {
    await expect(s3Bucket().check()).resolves.toBeUndefined();
    await expect(s3Bucket({ bucket: 'no-such-bucket' }).check()).rejects.toThrow(/cannot reach the bucket: the bucket does not exist \(NoSuchBucket\)$/);
    await expect(s3Bucket({ endpoint: 'http://127.0.0.1:9' }).check()).rejects.toThrow(/cannot connect to http:\/\/127\.0\.0\.1:9: ECONNREFUSED$/);
  });

  test('an endpoint with user info never shows it', async () => {
    const bucket = s3Bucket({ endpoint: 'http://user:hunter2@127.0.0.1:9' });
    const error = await bucket.get('x').then(() => undefined, (failure: Error) => failure);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error?.message).toContain('http://127.0.0.1:9');
    expect(error?.message).not.toContain('hunter2');
  });

  test('a key put there by something else that is no key of ours is not listed', async () => {
    const bucket = s3Bucket({ prefix: 'foreign' });
    await bucket.upload('ours', Buffer.from('1'));
    await adminClient().send(new PutObjectCommand({ Bucket: CONTRACT_BUCKET, Key: 'foreign/tab\there', Body: '2' }));
    await adminClient().send(new PutObjectCommand({ Bucket: CONTRACT_BUCKET, Key: 'foreign/del\u007f', Body: '3' }));
    const stored = await adminClient().send(new ListObjectsV2Command({ Bucket: CONTRACT_BUCKET, Prefix: 'foreign/' }));
    expect(stored.Contents).toHaveLength(3);
    expect(await keys(bucket)).toEqual(['ours']);
  });
});

/** Runs fn (building a bucket and using it: credentials are found on first use) with these AWS variables only. */
async function withAwsEnv<T>(values: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(AWS_ENV.map((name) => [name, process.env[name]]));
  setAwsEnv(values);
  try {
    return await fn();
  } finally {
    setAwsEnv(before);
  }
}

/** The error of each of the six operations (a test fails if one succeeds). */
async function everyOperation(bucket: S3Bucket): Promise<Error[]> {
  const operations: Array<[string, () => Promise<unknown>]> = [
    ['check', () => bucket.check()],
    ['upload', () => bucket.upload('k', Buffer.from('x'))],
    ['get', () => bucket.get('k')],
    ['exists', () => bucket.exists('k')],
    ['delete', () => bucket.delete('k')],
    ['iter', () => keys(bucket)],
  ];
  const errors: Error[] = [];
  for (const [name, operation] of operations) {
    const error = await operation().then(() => undefined, (failure: Error) => failure);
    if (error === undefined) throw new Error(`${name} succeeded`);
    errors.push(error);
  }
  return errors;
}
