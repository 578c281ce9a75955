/**
 * The control plane's certificates, made with the `openssl` CLI as kubeadm lays them out: one cluster CA that signs
 * the API server's serving certificate, the client certificates of the admin, the controller manager, each node
 * and the API server's kubelet client, and each kubelet's serving certificate; plus the service-account signing
 * key. EC P-256 keys: made in milliseconds, and accepted by Go's TLS and by the service-account token signer.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '30';

export interface Certificate {
  /** Paths of the PEM files. */
  cert: string;
  key: string;
}

export interface CertificateRequest {
  /** File name without extension. */
  file: string;
  commonName: string;
  organization?: string;
  usage: 'server' | 'client';
  /** Host names and IP addresses, for a serving certificate. */
  hosts?: string[];
}

export class ClusterPki {
  private constructor(readonly dir: string, readonly ca: Certificate) {}

  /** A new CA in dir (created if missing). */
  static async create(dir: string): Promise<ClusterPki> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const ca = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
    await run('openssl', [
      'req', '-x509', ...NEW_KEY, '-days', DAYS, '-subj', '/CN=go-profiler-cluster-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-keyout', ca.key, '-out', ca.cert,
    ]);
    return new ClusterPki(dir, ca);
  }

  async issue(request: CertificateRequest): Promise<Certificate> {
    const file = (ext: string) => path.join(this.dir, `${request.file}.${ext}`);
    const subject = `/CN=${request.commonName}${request.organization ? `/O=${request.organization}` : ''}`;
    await run('openssl', ['req', ...NEW_KEY, '-subj', subject, '-keyout', file('key'), '-out', file('csr')]);
    const extensions = [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${request.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(request.hosts?.length ? [`subjectAltName=${request.hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`] : []),
    ];
    await fs.writeFile(file('ext'), `${extensions.join('\n')}\n`);
    await run('openssl', [
      'x509', '-req', '-in', file('csr'), '-days', DAYS, '-CA', this.ca.cert, '-CAkey', this.ca.key,
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', file('ext'), '-out', file('crt'),
    ]);
    await Promise.all([fs.rm(file('csr')), fs.rm(file('ext'))]);
    return { cert: file('crt'), key: file('key') };
  }

  /** The key pair the API server signs service-account tokens with (and the controller manager signs legacy ones). */
  async serviceAccountKey(): Promise<{ privateKey: string; publicKey: string }> {
    const privateKey = path.join(this.dir, 'sa.key');
    const publicKey = path.join(this.dir, 'sa.pub');
    await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', privateKey]);
    await run('openssl', ['pkey', '-in', privateKey, '-pubout', '-out', publicKey]);
    return { privateKey, publicKey };
  }
}
