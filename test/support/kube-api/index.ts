/**
 * Test stand-in for kube-apiserver (the Kubernetes API server), for tests of
 * code that talks to a cluster through @kubernetes/client-node.
 *
 * What it does, as the real server does it:
 * - HTTPS with a throwaway CA; clients verify the chain (no skip-TLS-verify);
 * - bearer-token authentication (401 `Unauthorized` Status otherwise; optionally
 *   anonymous auth, where a request without credentials is system:anonymous → 403);
 * - request attributes parsed from the URL like RequestInfoFactory, RBAC-style
 *   allow-list with the real Forbidden message;
 * - real REST paths: GET /api/v1/namespaces/{ns}/secrets/{name},
 *   GET /api/v1/namespaces/{ns}/pods/{name}, GET /api/v1/namespaces/{ns}/pods
 *   (and list across namespaces, secrets list), labelSelector/fieldSelector;
 * - objects with apiVersion/kind and server-set metadata (uid, resourceVersion,
 *   creationTimestamp), Secret data base64-encoded, lists as `{Kind}List`;
 * - errors as metav1.Status with kube-apiserver's exact messages and details;
 * - a log of every request (method, path, query, headers minus Authorization).
 *
 * - batch/v1 Jobs: create (checked against the Kubernetes OpenAPI schema and
 *   the Job validation rules, with the server's defaults), get/list/watch, and
 *   delete with propagationPolicy (Orphan by default, as for batch/v1);
 * - watch (`?watch=true`) on every resource, with resourceVersion semantics;
 * - pods/log and pods/proxy;
 * - a Job controller (pods from the template, Complete/Failed conditions,
 *   activeDeadlineSeconds, ttlSecondsAfterFinished) and a kubelet that runs the
 *   pods bound to its nodes as real local processes (kubelet.ts), so a Job's
 *   container really runs and its output is the pod log.
 *
 * What it does not do: create/update/patch/delete over HTTP for other
 * resources, admission (Pod Security included), defaulting beyond the above,
 * managedFields, pagination (limit/continue), protobuf, discovery (/api,
 * /apis, /version), events, nodes and namespaces as objects (a GET in a
 * namespace nobody made still answers NotFound for the object).
 */
import { rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { makeTestPki } from '../tls';
import type { ImageRuntime } from './container-runtime';
import { JobController } from './job-controller';
import { Kubelet } from './kubelet';
import { renderKubeconfig } from './kubeconfig';
import type { RbacRule } from './rbac';
import { PODS, SECRETS } from './resources';
import { ROUTES } from './routes';
import { createApiServer, type RecordedRequest } from './server';
import { invalid } from './status';
import { ObjectStore, type KubeObject, type ObjectMeta } from './store';

export type { RbacRule } from './rbac';
export type { RecordedRequest } from './server';
export type { KubeObject, ObjectInput, ObjectMeta, StoreEvent } from './store';
export { StatusError, type Status } from './status';
export { ObjectStore } from './store';
export { JOBS, PODS, SECRETS, type ResourceType } from './resources';
export { Kubelet } from './kubelet';
export { dependentsOf } from './jobs';
export { KUBECONFIG_NAMES } from './kubeconfig';

export interface KubeApiOptions {
  /** The service account the token authenticates as; default go-profiler/go-profiler. */
  serviceAccount?: { namespace: string; name: string };
  /** The bearer token to accept; default a random one. */
  token?: string;
  /** RBAC allow-list; null (default) allows everything, like cluster-admin. */
  rbac?: RbacRule[] | null;
  /** A real server's default is on; off (default here) makes "no credentials" a 401. */
  anonymousAuth?: boolean;
  /** What the kubelet runs a container's `node` with; default this checkout's node and root. */
  runtime?: ImageRuntime;
}

const REPO_ROOT = join(__dirname, '..', '..', '..');
const DEFAULT_RUNTIME: ImageRuntime = { node: join(REPO_ROOT, 'node_modules', '.bin', 'node'), workdir: REPO_ROOT };

/** A Pod to seed: metadata.name and at least one container are required, as by the API. */
export interface PodSeed {
  metadata: Omit<ObjectMeta, 'name'> & { name: string };
  spec: { containers: Array<{ name: string; image: string; [k: string]: unknown }>; [k: string]: unknown };
  status?: Record<string, unknown>;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** What start() hands the instance: the running server and the state it shares with it. */
interface Parts {
  server: Server;
  url: string;
  caCert: string;
  token: string;
  user: string;
  namespace: string;
  dir: string;
  store: ObjectStore;
  requests: RecordedRequest[];
  rbac: { rules: RbacRule[] | null };
  kubelet: Kubelet;
  jobController: JobController;
}

export class KubeApiStandIn {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caCert: string;
  readonly token: string;
  /** The authenticated user name, e.g. system:serviceaccount:go-profiler:go-profiler. */
  readonly user: string;
  /** The service account's namespace; the kubeconfig context's default namespace. */
  readonly namespace: string;
  /** The objects the server serves; tests may read and change them directly. */
  readonly store: ObjectStore;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** The nodes: register nodes, images and network routes here before pods need them. */
  readonly kubelet: Kubelet;
  private readonly parts: Parts;
  private kubeconfigs = 0;

  private constructor(parts: Parts) {
    this.parts = parts;
    ({ url: this.url, caCert: this.caCert, token: this.token, user: this.user, namespace: this.namespace } = parts);
    this.store = parts.store;
    this.requests = parts.requests;
    this.kubelet = parts.kubelet;
  }

  static async start(opts: KubeApiOptions = {}): Promise<KubeApiStandIn> {
    const sa = opts.serviceAccount ?? { namespace: 'go-profiler', name: 'go-profiler' };
    const user = `system:serviceaccount:${sa.namespace}:${sa.name}`;
    const token = opts.token ?? randomBytes(24).toString('base64url');
    const store = new ObjectStore();
    const requests: RecordedRequest[] = [];
    const rbac = { rules: opts.rbac ?? null };
    const kubelet = new Kubelet(store, opts.runtime ?? DEFAULT_RUNTIME);
    const jobController = new JobController(store);
    const pki = await makeTestPki(['127.0.0.1', 'localhost']);
    const server = createApiServer({
      cert: pki.cert,
      key: pki.key,
      tokens: new Map([[token, user]]),
      anonymousAuth: opts.anonymousAuth ?? false,
      rules: () => rbac.rules,
      store,
      kubelet,
      routes: ROUTES,
      requests,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    } catch (err) {
      await rm(pki.dir, { recursive: true, force: true });
      kubelet.stop();
      jobController.stop();
      throw err;
    }
    const { port } = server.address() as AddressInfo;
    return new KubeApiStandIn({
      server, url: `https://127.0.0.1:${port}`, caCert: pki.caCert, token, user,
      namespace: sa.namespace, dir: pki.dir, store, requests, rbac, kubelet, jobController,
    });
  }

  get port(): number {
    return (this.parts.server.address() as AddressInfo).port;
  }

  /** Seeds a Secret; values are stored base64-encoded in `.data`, as the API does. */
  addSecret(namespace: string, name: string, data: Record<string, string | Buffer>, extra: { type?: string; labels?: Record<string, string> } = {}): KubeObject {
    for (const key of Object.keys(data)) {
      if (!SECRET_KEY.test(key)) {
        throw invalid({ group: '', kind: 'Secret' }, name, [{ reason: 'FieldValueInvalid', field: `data[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.'` }]);
      }
    }
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    return this.store.create(SECRETS, {
      metadata: { name, namespace, ...(extra.labels ? { labels: extra.labels } : {}) },
      data: encoded,
      type: extra.type ?? 'Opaque',
    });
  }

  /** Seeds a Pod as the cluster would hold it; status defaults to {phase: "Pending"}. */
  addPod(pod: PodSeed): KubeObject {
    if (!Array.isArray(pod.spec?.containers) || pod.spec.containers.length === 0) {
      throw invalid({ group: '', kind: 'Pod' }, pod.metadata?.name ?? '', [{ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }]);
    }
    return this.store.create(PODS, { ...pod, status: pod.status ?? { phase: 'Pending' } });
  }

  /** Replaces the RBAC allow-list; null allows everything. */
  setRbac(rules: RbacRule[] | null): void {
    this.parts.rbac.rules = rules;
  }

  /**
   * Writes a kubeconfig for this server and returns its path. `token: null` writes a user
   * with no credentials; another string, a wrong token.
   */
  writeKubeconfig(opts: { token?: string | null; namespace?: string } = {}): string {
    const path = join(this.parts.dir, `kubeconfig-${++this.kubeconfigs}.yaml`);
    const text = renderKubeconfig({
      server: this.url,
      caCert: this.caCert,
      token: opts.token === undefined ? this.token : opts.token,
      namespace: opts.namespace ?? this.namespace,
    });
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  async stop(): Promise<void> {
    const { server, dir, kubelet, jobController } = this.parts;
    jobController.stop();
    kubelet.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await rm(dir, { recursive: true, force: true });
  }
}

export function startKubeApi(opts?: KubeApiOptions): Promise<KubeApiStandIn> {
  return KubeApiStandIn.start(opts);
}
