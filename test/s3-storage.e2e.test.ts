import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { eventually } from './support/browser';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { S3Server, startS3Server } from './support/s3-server';
import { ServiceProcess, spawnService } from './support/service-process';

// STORAGE=s3 against a real S3-compatible server (SeaweedFS, built from its Go module by the test set-up), with
// the service as real processes (node dist/main.js): two replicas sharing one bucket, restarts, the store down,
// slow, refusing the credentials, and a bucket that is not there. Credentials reach the service the way the AWS
// SDK's standard chain reads them in a pod: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment.
const ROOT = path.join(__dirname, '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const BUCKET = 'profiles';
const PUBLIC = 'http://go-profiler.example';
let s3: S3Server;
let target: GoTarget;
let admin: S3Client;
const services: ServiceProcess[] = [];
const dataRoots: string[] = [];

beforeAll(async () => {
  [s3, target] = await Promise.all([startS3Server(), startGoTarget({ cpuDuty: 5 })]);
  await s3.createBucket(BUCKET);
  admin = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
}, 600_000);

afterAll(async () => {
  await Promise.all(services.map(stopService));
  admin?.destroy();
  await s3?.close();
  await target?.stop();
  for (const dir of dataRoots) fs.rmSync(dir, { recursive: true, force: true });
});

async function startReplica(env: Record<string, string> = {}, dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-s3-replica-'))): Promise<ServiceProcess & { dataRoot: string }> {
  dataRoots.push(dataRoot);
  const child = await spawnService(NODE, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataRoot,
      PORT: '0',
      ADVERTISE_ADDRESS: '127.0.0.1',
      VIEWER_BIND_ADDRESS: '127.0.0.1',
      PUBLIC_BASE_URL: PUBLIC,
      DATA_ROOT: dataRoot,
      STORAGE: 's3',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: s3.region,
      STORAGE_TIMEOUT_SECONDS: '2',
      AWS_ACCESS_KEY_ID: s3.accessKey,
      AWS_SECRET_ACCESS_KEY: s3.secretKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
  });
  services.push(child);
  return { ...child, dataRoot };
}

async function stopService(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode === null) service.child.kill('SIGTERM');
  await service.exited;
}

async function profile(service: ServiceProcess, type = 'Heap', extra: Record<string, unknown> = {}) {
  const answer = await request(`${service.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: type, [KEYS.expirationSeconds]: '600', 'pod.namespace': 'shop', 'pod.name': 'checkout-7d4b9c8f6d-x2x9q', container: 'app', 'diagnosis.name': 'slow', ...extra },
  });
  expect(answer.status).toBe(200);
  return answer.json() as Record<string, string>;
}

const viewerPath = (answer: Record<string, string>) => new URL(answer[`${RESULT}viewer_url`]).pathname;
const keyOf = (location: string) => location.replace(`s3://${BUCKET}/`, '');
const objectBytes = async (key: string) => Buffer.from(await (await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
const allKeys = async () => ((await admin.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key as string);
const noSecretIn = (service: ServiceProcess) => expect(JSON.stringify(service.lines)).not.toContain(s3.secretKey);

describe('two replicas sharing one bucket', () => {
  let a: ServiceProcess & { dataRoot: string };
  let b: ServiceProcess & { dataRoot: string };
  let answer: Record<string, string>;

  beforeAll(async () => {
    [a, b] = await Promise.all([startReplica(), startReplica()]);
    answer = await profile(a);
  }, 60_000);

  test('the profile is uploaded under the operator\'s key, the bytes as fetched, with its metadata and record', async () => {
    const location = answer[`${RESULT}profile_path`];
    const today = new Date().toISOString().slice(0, 10);
    expect(location).toMatch(new RegExp(`^s3://${BUCKET}/go-profiler/${today}/checkout/${today.replace(/-/g, '')}-\\d{6}-heap\\.pb\\.gz$`));
    const bytes = await objectBytes(keyOf(location));
    expect(bytes.subarray(0, 2).toString('hex')).toBe('1f8b');
    const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(location) }));
    expect(head.Metadata).toMatchObject({ type: 'Heap', service: 'checkout', pod: 'shop/checkout-7d4b9c8f6d-x2x9q', container: 'app', diagnosis: 'slow' });
    const id = answer[`${RESULT}profile_id`];
    const record = JSON.parse((await objectBytes(`go-profiler/records/${id}.json`)).toString());
    expect(record).toMatchObject({ id, status: 'ready', type: 'Heap', service: 'checkout', profilePath: location, pod: { namespace: 'shop', name: 'checkout-7d4b9c8f6d-x2x9q' } });
    expect(record.viewer.id).toBe(viewerPath(answer).split('/')[2]);
    expect(answer[`${RESULT}storage_warning`]).toBeUndefined();
    // Nothing stays in the spool.
    expect(fs.existsSync(path.join(a.dataRoot, 'go-profiler-spool')) ? fs.readdirSync(path.join(a.dataRoot, 'go-profiler-spool')) : []).toEqual([]);
  });

  test('a viewer made on one replica is served by the other, downloads included', async () => {
    const onB = await request(`${b.url}${viewerPath(answer)}api/profile`);
    expect(onB.status).toBe(200);
    expect(onB.json().type).toBe('Heap');
    const onA = await request(`${a.url}${viewerPath(answer)}api/top`);
    const topB = await request(`${b.url}${viewerPath(answer)}api/top`);
    expect(topB.json()).toEqual(onA.json());
    const download = await request(`${b.url}${viewerPath(answer)}download`);
    expect(download.body.equals(await objectBytes(keyOf(answer[`${RESULT}profile_path`])))).toBe(true);
    expect(b.lines.some((l) => l.msg === 'viewer reloaded')).toBe(true);
  });

  test('the history of either lists it; its id is a diff base on the other', async () => {
    const listed = (await request(`${b.url}/profiles?pod=checkout-7d4b9c8f6d-x2x9q`)).json().profiles;
    expect(listed.map((p: { id: string }) => p.id)).toContain(answer[`${RESULT}profile_id`]);
    const diff = await profile(b, 'Heap', { [KEYS.diffBase]: answer[`${RESULT}profile_path`] });
    expect(JSON.parse(diff[`${RESULT}summary`]).diff.base).toBe(answer[`${RESULT}profile_path`]);
    expect(diff[`${RESULT}diff_path`]).toMatch(/\.diff\.pb\.gz$/);
    expect((await allKeys()).includes(keyOf(diff[`${RESULT}diff_path`]))).toBe(true);
  });

  test('after both restart, both still serve the viewer until its original expiry', async () => {
    await Promise.all([stopService(a), stopService(b)]);
    [a, b] = await Promise.all([startReplica({}, a.dataRoot), startReplica({}, b.dataRoot)]);
    for (const replica of [a, b]) {
      const info = await request(`${replica.url}${viewerPath(answer)}api/profile`);
      expect(info.status).toBe(200);
      expect(info.json().expiresAt.replace(/\.\d{3}Z$/, 'Z')).toBe(answer[`${RESULT}expires_at`]);
    }
    expect((await request(`${a.url}/viewer/${'e'.repeat(32)}/api/profile`)).status).toBe(404);
    noSecretIn(a);
    noSecretIn(b);
  }, 60_000);

  test('the store down during a request: the answer comes, kept locally, uploaded when the store is back', async () => {
    await s3.stop();
    try {
      const kept = await profile(a);
      expect(kept[`${RESULT}storage_warning`]).toMatch(/kept on this replica and uploaded when the store is back/);
      expect((await request(`${a.url}${viewerPath(kept)}api/profile`)).status).toBe(200);
      const metrics = (await request(`${a.url}/metrics`)).body.toString();
      expect(Number(/goprofiler_storage_pending_uploads (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(Number(/goprofiler_storage_upload_failures_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(a.lines.some((l) => l.msg === 'storage unavailable: object kept locally, to be uploaded later')).toBe(true);
      // Reading from a store that is down is a 503 that says so, not an internal error.
      const history = await request(`${b.url}/profiles`);
      expect([history.status, history.headers['retry-after']]).toEqual([503, '10']);
      expect(history.json().error).toMatch(/^s3:\/\/profiles\/go-profiler\/: .*ECONNREFUSED|cannot connect/);
      await s3.restart();
      await eventually(async () => (await request(`${a.url}/metrics`)).body.toString(), (m) => expect(m).toMatch(/goprofiler_storage_pending_uploads 0/), 30_000);
      expect((await objectBytes(keyOf(kept[`${RESULT}profile_path`]))).subarray(0, 2).toString('hex')).toBe('1f8b');
      // Now the other replica has it too.
      expect((await request(`${b.url}${viewerPath(kept)}api/profile`)).status).toBe(200);
      expect(a.lines.some((l) => l.msg === 'storage is back: every kept object uploaded')).toBe(true);
    } finally {
      if (!(await s3Answers())) await s3.restart();
    }
  }, 90_000);

  test('a store that does not answer (frozen): the answer still comes, within the storage timeout', async () => {
    s3.pause();
    try {
      const started = Date.now();
      const kept = await profile(a);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(kept[`${RESULT}storage_warning`]).toBeDefined();
    } finally {
      s3.resume();
    }
    await eventually(async () => (await request(`${a.url}/metrics`)).body.toString(), (m) => expect(m).toMatch(/goprofiler_storage_pending_uploads 0/), 60_000);
  }, 120_000);

  test('retention: the sweep removes what is older than DATA_RETENTION_SECONDS from the bucket', async () => {
    const sweeper = await startReplica({ DATA_RETENTION_SECONDS: '0' });
    await eventually(() => allKeys(), (keys) => expect(keys.filter((k) => k.startsWith('go-profiler/'))).toEqual([]), 30_000);
    // The bucket is empty once the last delete lands; the line is logged once the sweep has returned, a moment later.
    await eventually(async () => sweeper.lines.some((l) => l.msg === 'old profiles removed'), (logged) => expect(logged).toBe(true), 10_000);
    await stopService(sweeper);
  }, 60_000);
});

async function s3Answers(): Promise<boolean> {
  try {
    await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1 }));
    return true;
  } catch {
    return false;
  }
}

describe('a store that refuses', () => {
  test.each([
    ['wrong credentials', { AWS_SECRET_ACCESS_KEY: 'not-the-secret-at-all' }, /credentials|signature|access/i],
    ['a bucket that does not exist', { S3_BUCKET: 'no-such-bucket' }, /does not exist|NoSuchBucket/],
  ])('%s: the profile is served anyway, the answer says why, the log names no secret', async (_what, env, why) => {
    const replica = await startReplica(env);
    const kept = await profile(replica);
    expect(kept[`${RESULT}storage_warning`]).toMatch(why);
    expect((await request(`${replica.url}${viewerPath(kept)}api/profile`)).status).toBe(200);
    expect(replica.lines.some((l) => l.msg === 'profile store unavailable: profiles are kept here until it is back')).toBe(true);
    noSecretIn(replica);
    expect(JSON.stringify(replica.lines)).not.toContain('not-the-secret-at-all');
    await stopService(replica);
  }, 60_000);

  test('an incomplete configuration stops the start, naming the key', async () => {
    await expect(startReplica({ S3_BUCKET: '' })).rejects.toThrow(/STORAGE=s3 needs S3_BUCKET/);
    await expect(startReplica({ S3_FORCE_PATH_STYLE: 'sometimes' })).rejects.toThrow(/S3_FORCE_PATH_STYLE/);
  });
});
