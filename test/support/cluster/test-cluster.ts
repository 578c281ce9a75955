/**
 * The shared real control plane, as a suite sees it: kubectl as the admin, namespaces, service-account
 * kubeconfigs from the TokenRequest API, the API server's audit log, and waiting for the cluster to settle.
 * Started once per run by global-setup.ts; a suite that talks to Kubernetes starts with `await testCluster()`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterInfo } from '../../../cluster/cluster';
import { CLUSTER_ENV } from './paths';

export interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number; message?: string };
  requestObject?: Record<string, any>;
  stageTimestamp: string;
}

export interface TestCluster {
  info: ClusterInfo;
  /** Runs the cluster's own kubectl as the admin; rejects with its stderr. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** kubectl ... -o json, parsed. */
  getJson(args: string[]): Promise<any>;
  /** Server-side apply of YAML/JSON text as the admin. */
  apply(manifest: string): Promise<void>;
  /** Creates the namespace (with labels) unless it exists. */
  namespace(name: string, labels?: Record<string, string>): Promise<void>;
  /**
   * A kubeconfig that authenticates as the service account, with a token from the TokenRequest API: what a
   * pod of that service account would hold.
   */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** The audit log's events from now on: call mark() before, events(mark) after. */
  mark(): number;
  events(since: number, filter?: (e: AuditEvent) => boolean): AuditEvent[];
}

let cached: Promise<TestCluster> | undefined;

export function testCluster(): Promise<TestCluster> {
  cached ??= open();
  return cached;
}

async function open(): Promise<TestCluster> {
  const infoFile = process.env[CLUSTER_ENV];
  if (!infoFile || !fs.existsSync(infoFile)) {
    throw new Error(`no test cluster: ${CLUSTER_ENV} is not set by jest's globalSetup (test/support/cluster/global-setup.ts), or the cluster is gone`);
  }
  const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as ClusterInfo;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-kubeconfigs-'));
  const kubectl = (args: string[], input?: string) => runKubectl(info, args, input);
  const getJson = async (args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json']));
  return {
    info,
    kubectl,
    getJson,
    async apply(manifest) {
      await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=go-profiler-tests', '-f', '-'], manifest);
    },
    async namespace(name, labels = {}) {
      const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
      await kubectl(['apply', '--server-side', '--field-manager=go-profiler-tests', '-f', '-'], JSON.stringify(manifest));
    },
    async serviceAccountKubeconfig(namespace, name) {
      const token = (await kubectl(['-n', namespace, 'create', 'token', name, '--duration=2h'])).trim();
      const file = path.join(scratch, `${namespace}.${name}.kubeconfig`);
      const ca = fs.readFileSync(info.caFile).toString('base64');
      const user = `system:serviceaccount:${namespace}:${name}`;
      const config = {
        apiVersion: 'v1', kind: 'Config', 'current-context': user,
        clusters: [{ name: 'test', cluster: { server: info.server, 'certificate-authority-data': ca } }],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: user, context: { cluster: 'test', user, namespace } }],
      };
      fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
      return file;
    },
    mark: () => auditLines(info).length,
    events: (since, filter = () => true) => auditLines(info).slice(since).map((line) => JSON.parse(line) as AuditEvent).filter(filter),
  };
}

function auditLines(info: ClusterInfo): string[] {
  return fs.readFileSync(info.auditLog, 'utf8').split('\n').filter(Boolean);
}

function runKubectl(info: ClusterInfo, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      info.kubectl,
      args,
      // No HOME of the machine: its ~/.kube and KUBECONFIG must not leak in.
      { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), KUBECONFIG: info.kubeconfig }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || error.message}`)) : resolve(stdout)),
    );
    child.stdin?.end(input);
  });
}
