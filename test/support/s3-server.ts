/**
 * A real S3-compatible store for the tests: SeaweedFS (built by s3-server-build.ts), on free loopback ports in a
 * temporary folder, with S3 authentication on (one identity, a fresh access key and secret per start).
 *
 * Two processes: `weed server` (master, volume server and filer: where the data lives) and `weed s3`, the S3
 * gateway in front of it. "The store is down" stops the gateway only: connections are refused until restart()
 * starts it again on the same port, with the same data. A whole-store restart would keep writes refused for 15 s
 * (the master's warm-up after it becomes leader again), which tests have no use for. pause() freezes the gateway
 * instead (SIGSTOP): the kernel still accepts connections and nothing answers, a store that hangs.
 */
import { CreateBucketCommand, DeleteObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildS3Server } from './s3-server-build';

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** The store's files (master, volume server and filer), kept across stop() and restart(). */
  dataDir: string;
  /** Creates the bucket and writes to it once, so that its first volumes exist before a test times anything. */
  createBucket(name: string): Promise<void>;
  /** Stops the S3 gateway: connections to endpoint are refused; the data stays. */
  stop(): Promise<void>;
  /** Starts the gateway again, on the same port, in front of the same data; resolves once it answers. */
  restart(): Promise<void>;
  /** Freezes the gateway (SIGSTOP): connections are accepted and never answered, until resume(). */
  pause(): void;
  resume(): void;
  /** Stops everything and removes its files. */
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const READY_TIMEOUT_MS = 60_000;
const PORT_NAMES = ['master', 'masterGrpc', 'volume', 'volumeGrpc', 'filer', 'filerGrpc', 's3', 's3Grpc'] as const;
type Ports = Record<(typeof PORT_NAMES)[number], number>;

/** Every process started here, killed if the test process exits without close(). */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

export async function startS3Server(): Promise<S3Server> {
  const binary = await buildS3Server();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-s3-'));
  const free = await freePorts(PORT_NAMES.length);
  const ports = Object.fromEntries(PORT_NAMES.map((name, i) => [name, free[i]])) as Ports;
  const accessKey = `GPTEST${crypto.randomBytes(7).toString('hex').toUpperCase()}`;
  const secretKey = crypto.randomBytes(20).toString('base64url');
  const config = path.join(dataDir, 's3-identities.json');
  fs.writeFileSync(config, JSON.stringify({ identities: [{ name: 'tests', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }));
  const endpoint = `http://127.0.0.1:${ports.s3}`;
  const admin = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 5000, throwOnRequestTimeout: true }),
  });

  const core = launch(binary, dataDir, 'core', coreArgs(dataDir, ports));
  let gateway: ChildProcess | undefined;
  const startGateway = async () => {
    gateway = launch(binary, dataDir, 's3', gatewayArgs(dataDir, ports, config));
    await waitFor('the S3 gateway', dataDir, [core, gateway], () => admin.send(new ListBucketsCommand({})).then(() => true));
  };
  const stopGateway = async () => {
    if (gateway) await kill(gateway);
    gateway = undefined;
  };
  const close = async () => {
    admin.destroy();
    await stopGateway();
    await kill(core);
    fs.rmSync(dataDir, { recursive: true, force: true });
    // The gRPC servers also listen on Unix sockets whose paths SeaweedFS fixes: /tmp/seaweedfs-<what>-grpc-<port>.sock.
    for (const [what, port] of [['master', ports.masterGrpc], ['volume', ports.volumeGrpc], ['filer', ports.filerGrpc], ['s3', ports.s3Grpc]]) {
      fs.rmSync(`/tmp/seaweedfs-${what}-grpc-${port}.sock`, { force: true });
    }
  };
  try {
    await waitFor('the volume server', dataDir, [core], () => hasVolumeServer(ports.master));
    await startGateway();
  } catch (error) {
    await close();
    throw error;
  }

  return {
    endpoint,
    region: REGION,
    accessKey,
    secretKey,
    dataDir,
    async createBucket(name) {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
      const probe = { Bucket: name, Key: `warm-up-${crypto.randomBytes(4).toString('hex')}` };
      await admin.send(new PutObjectCommand({ ...probe, Body: 'x' }));
      await admin.send(new DeleteObjectCommand(probe));
    },
    stop: stopGateway,
    async restart() {
      await stopGateway();
      await startGateway();
    },
    pause: () => gateway?.kill('SIGSTOP'),
    resume: () => gateway?.kill('SIGCONT'),
    close,
  };
}

function coreArgs(dataDir: string, ports: Ports): string[] {
  return [
    'server',
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-dir=${dataDir}`,
    `-master.port=${ports.master}`,
    `-master.port.grpc=${ports.masterGrpc}`,
    '-master.volumeSizeLimitMB=16',
    '-master.electionTimeout=1s',
    '-master.telemetry=false',
    `-volume.port=${ports.volume}`,
    `-volume.port.grpc=${ports.volumeGrpc}`,
    '-volume.max=0',
    '-volume.preStopSeconds=0',
    '-filer=true',
    `-filer.port=${ports.filer}`,
    `-filer.port.grpc=${ports.filerGrpc}`,
    `-filer.localSocket=${path.join(dataDir, 'filer.sock')}`,
  ];
}

function gatewayArgs(dataDir: string, ports: Ports, config: string): string[] {
  return [
    's3',
    '-ip.bind=127.0.0.1',
    `-filer=127.0.0.1:${ports.filer}.${ports.filerGrpc}`,
    `-port=${ports.s3}`,
    `-port.grpc=${ports.s3Grpc}`,
    '-port.iceberg=0',
    '-port.lance=0',
    `-config=${config}`,
    `-localSocket=${path.join(dataDir, 's3.sock')}`,
    // As S3 does: writing to a bucket that does not exist is NoSuchBucket, not a new bucket.
    '-autoCreateBucket=false',
    '-iam=false',
  ];
}

/** Starts `weed <args>` with its log (glog, to stderr rather than files in /tmp) in dataDir/<name>.log. */
function launch(binary: string, dataDir: string, name: string, args: string[]): ChildProcess {
  const log = fs.openSync(path.join(dataDir, `${name}.log`), 'a');
  const child = spawn(binary, ['-logtostderr', ...args], { cwd: dataDir, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL'); // SeaweedFS's graceful stop takes 15 s; a kill is what a crash looks like anyway
  await exited;
}

/** Polls ready() until it is true; fails with the logs' tails if a process exits or time runs out. */
async function waitFor(what: string, dataDir: string, children: ChildProcess[], ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const dead = children.find((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead) throw new Error(`SeaweedFS exited (${dead.exitCode ?? dead.signalCode}) before ${what} was ready:\n${logTails(dataDir)}`);
    if (await ready().catch((error: Error) => ((last = error.message), false))) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready in ${READY_TIMEOUT_MS / 1000} s (${last}):\n${logTails(dataDir)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether the master knows a volume server (before that, the first write waits seconds for one). */
async function hasVolumeServer(masterPort: number): Promise<boolean> {
  const answer = await fetch(`http://127.0.0.1:${masterPort}/dir/status`, { signal: AbortSignal.timeout(2000) });
  const status = (await answer.json()) as { Topology?: { DataCenters?: Array<{ Racks?: Array<{ DataNodes?: unknown[] }> }> } };
  return (status.Topology?.DataCenters ?? []).some((dc) => (dc.Racks ?? []).some((rack) => (rack.DataNodes ?? []).length > 0));
}

function logTails(dataDir: string): string {
  return ['core', 's3']
    .map((name) => path.join(dataDir, `${name}.log`))
    .filter((file) => fs.existsSync(file))
    .map((file) => `${path.basename(file)}:\n${fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n')}`)
    .join('\n');
}

/** n different free loopback ports: all held open at once, so that none is given twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => net.createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
