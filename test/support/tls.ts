/**
 * Throwaway PKI for tests: a CA and a server certificate signed by it, made
 * with the `openssl` CLI so the TLS the tests use is real (clients verify the
 * chain against the CA, exactly as they would against a cluster's CA).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  /** PEM of the CA certificate: what a kubeconfig's certificate-authority-data holds. */
  caCert: string;
  caKey: string;
  /** PEM of the server certificate (SANs: the hosts given) and its key. */
  cert: string;
  key: string;
  /** Temp dir holding ca.crt, ca.key, server.crt, server.key; the caller removes it. */
  dir: string;
}

// EC P-256 keys: generated in milliseconds, unlike RSA, and accepted by Node's TLS.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function sanList(hosts: string[]): string {
  return hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

export async function makeTestPki(hosts: string[]): Promise<TestPki> {
  if (hosts.length === 0) throw new Error('makeTestPki needs at least one host for the SAN list');
  const dir = await mkdtemp(join(tmpdir(), 'go-profiler-pki-'));
  const file = (name: string) => join(dir, name);

  await run('openssl', [
    'req', '-x509', ...NEW_KEY, '-days', '1',
    '-subj', '/CN=go-profiler-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', file('ca.key'), '-out', file('ca.crt'),
  ]);
  await run('openssl', [
    'req', ...NEW_KEY, '-subj', '/CN=kube-apiserver',
    '-keyout', file('server.key'), '-out', file('server.csr'),
  ]);
  // Hostname verification uses the SANs only (the CN is ignored by Node).
  await writeFile(
    file('server.ext'),
    [
      `subjectAltName=${sanList(hosts)}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'x509', '-req', '-in', file('server.csr'), '-days', '1',
    '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-extfile', file('server.ext'), '-out', file('server.crt'),
  ]);

  const [caCert, caKey, cert, key] = await Promise.all(
    ['ca.crt', 'ca.key', 'server.crt', 'server.key'].map((n) => readFile(file(n), 'utf8')),
  );
  return { caCert, caKey, cert, key, dir };
}
