/**
 * etcd, kube-apiserver and kube-controller-manager as real processes on loopback, configured as kubeadm configures
 * them where it matters to the service: client-certificate and service-account authentication (TokenRequest
 * included), Node and RBAC authorization, the default admission plugins (PodSecurity, ServiceAccount, ...) plus
 * NodeRestriction, and every default controller running under its own service account. Like the kubelet that runs
 * a static control plane, it starts a component again when it exits on its own; tests use that to restart one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { adminRequest, type AdminAccess } from './api-client';
import type { ClusterBinaries } from './build';
import { writeKubeconfig } from './kubeconfig';
import { ClusterPki } from './pki';
import { freePort, ManagedProcess, waitFor } from './processes';

export const SERVICE_CIDR = '10.96.0.0/16';
const RESTART_DELAY_MS = 1000;
const API_READY_TIMEOUT_MS = 90_000;

export interface ControlPlaneOptions {
  binaries: ClusterBinaries;
  /** Folder for certificates, data and logs; removed by stop(). */
  dir: string;
  log: (line: string) => void;
  /** Called whenever a component (re)starts. */
  onStart?: (name: string, process: ManagedProcess) => void;
}

export interface ControlPlane {
  server: string;
  pki: ClusterPki;
  admin: AdminAccess;
  /** The admin's kubeconfig (client certificate, group system:masters). */
  adminKubeconfig: string;
  /** Every request the API server handled, as JSON lines (audit.k8s.io/v1 Events): Jobs with their bodies. */
  auditLog: string;
  /** The running components by name; a test may kill one and see it come back. */
  components: Map<string, ManagedProcess>;
  /** Resolves when the API server answers /readyz again (after a restart). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: None
    resources: [{ group: coordination.k8s.io, resources: [leases] }]
  - level: Request
    verbs: [create, update, patch, delete]
    resources: [{ group: batch, resources: [jobs] }]
  - level: Metadata
`;

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { binaries, dir, log } = options;
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const pki = await ClusterPki.create(path.join(dir, 'pki'));
  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const [apiServing, adminCert, kcmCert, kubeletClient, sa] = await Promise.all([
    pki.issue({
      file: 'apiserver', commonName: 'kube-apiserver', usage: 'server',
      hosts: ['127.0.0.1', 'localhost', '10.96.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    }),
    pki.issue({ file: 'admin', commonName: 'kubernetes-admin', organization: 'system:masters', usage: 'client' }),
    pki.issue({ file: 'controller-manager', commonName: 'system:kube-controller-manager', usage: 'client' }),
    pki.issue({ file: 'apiserver-kubelet-client', commonName: 'kube-apiserver-kubelet-client', organization: 'system:masters', usage: 'client' }),
    pki.serviceAccountKey(),
  ]);
  const admin: AdminAccess = { server, ca: pki.ca.cert, cert: adminCert.cert, key: adminCert.key };
  const adminKubeconfig = writeKubeconfig(path.join(dir, 'admin.kubeconfig'), { server, ca: pki.ca.cert, user: 'admin', credentials: adminCert });
  const kcmKubeconfig = writeKubeconfig(path.join(dir, 'controller-manager.kubeconfig'), { server, ca: pki.ca.cert, user: 'kube-controller-manager', credentials: kcmCert });
  const auditPolicy = path.join(dir, 'audit-policy.yaml');
  fs.writeFileSync(auditPolicy, AUDIT_POLICY);
  const auditLog = path.join(logs, 'audit.jsonl');

  const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
  const etcdArgs = [
    '--name=default', `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    '--log-level=warn', '--unsafe-no-fsync',
  ];
  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
    `--tls-cert-file=${apiServing.cert}`, `--tls-private-key-file=${apiServing.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${sa.publicKey}`, `--service-account-signing-key-file=${sa.privateKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--allow-privileged=true',
    `--kubelet-client-certificate=${kubeletClient.cert}`, `--kubelet-client-key=${kubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.ca.cert}`, '--kubelet-preferred-address-types=InternalIP',
    `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json', '--audit-log-maxsize=0',
    `--cert-dir=${path.join(dir, 'apiserver-certs')}`, '--profiling=false', '--v=1',
  ];
  const kcmArgs = [
    `--kubeconfig=${kcmKubeconfig}`, '--secure-port=0', '--leader-elect=false', '--use-service-account-credentials=true',
    `--service-account-private-key-file=${sa.privateKey}`, `--root-ca-file=${pki.ca.cert}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`, `--cluster-signing-key-file=${pki.ca.key}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`, '--controllers=*', '--profiling=false', '--v=1',
  ];

  const components = new Map<string, ManagedProcess>();
  let stopped = false;
  const supervise = (name: string, binary: string, args: string[]) => {
    const start = () => {
      const started = ManagedProcess.start(name, binary, args, logs, (exited) => {
        if (stopped) return;
        log(`${name} exited; starting it again. Its last lines:\n${exited.tail(5)}`);
        setTimeout(() => stopped || start(), RESTART_DELAY_MS).unref();
      });
      components.set(name, started);
      options.onStart?.(name, started);
    };
    start();
  };
  const ready = () =>
    waitFor('kube-apiserver /readyz', async () => (await adminRequest(admin, 'GET', '/readyz')).status === 200, API_READY_TIMEOUT_MS, () =>
      ['etcd', 'kube-apiserver'].map((n) => `${n}: ${components.get(n)?.tail(8)}`).join('\n'),
    );
  const stop = async () => {
    stopped = true;
    for (const name of ['kube-controller-manager', 'kube-apiserver', 'etcd']) await components.get(name)?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    supervise('etcd', binaries.etcd, etcdArgs);
    supervise('kube-apiserver', binaries.kubeApiserver, apiArgs);
    await ready();
    log(`kube-apiserver ${binaries.kubernetesVersion} ready at ${server}`);
    supervise('kube-controller-manager', binaries.kubeControllerManager, kcmArgs);
    // Pods are admitted only once their namespace's default ServiceAccount exists: the controllers are then up.
    await waitFor(
      'the default ServiceAccount (kube-controller-manager running)',
      async () => (await adminRequest(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      API_READY_TIMEOUT_MS,
      () => components.get('kube-controller-manager')?.tail(8) ?? '',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, pki, admin, adminKubeconfig, auditLog, components, ready, stop };
}
