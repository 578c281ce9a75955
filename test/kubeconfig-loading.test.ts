import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import yaml from 'js-yaml';
import { kubeProviderFromEnvironment } from '../src/acquire/kube/clients';
import { kubeconfigSearch, readKubeconfigFiles } from '../src/acquire/kube/kubeconfig-files';
import { createLogger } from '../src/log';
import { loadClientNode } from './support/client-node';

// KUBECONFIG read as kubectl (client-go's clientcmd loading rules) reads it; see src/acquire/kube/kubeconfig-files.ts.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-loading-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Entries {
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context: Record<string, unknown> }>;
  'current-context'?: string;
}

function write(name: string, content: Entries | string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : yaml.dump({ apiVersion: 'v1', kind: 'Config', ...content }));
  return file;
}

const list = (...files: string[]) => files.join(path.delimiter);

/** A HOME with a valid ~/.kube/config of its own, so a test sees whether it was read. */
function homeWithConfig(): string {
  const home = path.join(dir, 'home');
  write('home/.kube/config', {
    clusters: [{ name: 'home', cluster: { server: 'https://home.example:6443' } }],
    contexts: [{ name: 'home', context: { cluster: 'home' } }],
    'current-context': 'home',
  });
  return home;
}

/** A service account folder under a prefix, and the environment that makes in-cluster possible. */
function inCluster(): { serviceAccountRoot: string; env: NodeJS.ProcessEnv } {
  const root = path.join(dir, 'pod');
  const folder = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  fs.mkdirSync(folder, { recursive: true });
  for (const file of ['token', 'ca.crt', 'namespace']) fs.writeFileSync(path.join(folder, file), 'x');
  return { serviceAccountRoot: root, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } };
}

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean).map((line) => JSON.parse(line)));
      done();
    },
  });
  return { log: createLogger('info', sink), lines, warnings: () => lines.filter((l) => l.level === 40) };
}

function twoFiles(): { a: string; b: string } {
  const a = write('a.yaml', {
    clusters: [{ name: 'shared', cluster: { server: 'https://a.example:6443' } }],
    users: [{ name: 'shared-user', user: { token: 'token-a' } }],
    contexts: [{ name: 'ctx-a', context: { cluster: 'shared', user: 'shared-user' } }],
    'current-context': 'ctx-a',
  });
  const b = write('b.yaml', {
    clusters: [
      // Same name: discarded whole, even the field a's entry lacks.
      { name: 'shared', cluster: { server: 'https://b.example:6443', 'insecure-skip-tls-verify': true } },
      { name: 'only-b', cluster: { server: 'https://only-b.example:6443' } },
    ],
    users: [{ name: 'shared-user', user: { token: 'token-b' } }],
    contexts: [{ name: 'ctx-b', context: { cluster: 'only-b', user: 'shared-user', namespace: 'team-b' } }],
    'current-context': 'ctx-b',
  });
  return { a, b };
}

describe('several KUBECONFIG files merge as kubectl merges them', () => {
  test('first file wins for a same-named cluster and user and for current-context', async () => {
    const { a, b } = twoFiles();
    const kube = kubeProviderFromEnvironment({ env: { KUBECONFIG: list(a, b) } });
    expect(kube.configured).toBe(true);
    const clients = kube.clients();
    expect(clients.origin).toBe(list(a, b));
    const access = await clients.apiServer();
    expect(access.server.href).toBe('https://a.example:6443/');
    expect(access.token).toBe('token-a');
    const merged = readKubeconfigFiles(kubeconfigSearch({ KUBECONFIG: list(a, b) })).config;
    expect(merged.getCurrentContext()).toBe('ctx-a');
    expect(merged.getCluster('shared')).toMatchObject({ server: 'https://a.example:6443', skipTLSVerify: false });
    expect(merged.getClusters().map((c) => c.name)).toEqual(['shared', 'only-b']);
  });

  test('contexts and clusters only the second file defines are usable', () => {
    const { a, b } = twoFiles();
    const merged = readKubeconfigFiles(kubeconfigSearch({ KUBECONFIG: list(a, b) })).config;
    merged.setCurrentContext('ctx-b');
    expect(merged.getCurrentCluster()?.server).toBe('https://only-b.example:6443');
    expect(merged.getContextObject('ctx-b')?.namespace).toBe('team-b');
    expect(merged.getCurrentUser()?.token).toBe('token-a');
  });

  test('the order decides: with the files swapped, the other file wins', async () => {
    const { a, b } = twoFiles();
    const access = await kubeProviderFromEnvironment({ env: { KUBECONFIG: list(b, a) } }).clients().apiServer();
    expect(access.server.href).toBe('https://only-b.example:6443/');
    expect(access.token).toBe('token-b');
  });

  test("client-node's own merge does not follow kubectl's rules, which is why it is not used", () => {
    const { a, b } = twoFiles();
    const k8s = loadClientNode();
    const first = new k8s.KubeConfig();
    first.loadFromFile(a);
    const second = new k8s.KubeConfig();
    second.loadFromFile(b);
    expect(() => first.mergeConfig(second)).toThrow(/Duplicate cluster: shared/);
  });

  test('relative paths resolve against the folder of the file that names them', () => {
    const a = write('one/config', {
      clusters: [{ name: 'one', cluster: { server: 'https://one.example', 'certificate-authority': 'ca.crt' } }],
    });
    const b = write('two/config', {
      clusters: [{ name: 'two', cluster: { server: 'https://two.example', 'certificate-authority': '../certs/ca.crt' } }],
      users: [{ name: 'u', user: { 'client-certificate': 'u.crt', 'client-key': 'u.key' } }],
    });
    const merged = readKubeconfigFiles(kubeconfigSearch({ KUBECONFIG: list(a, b) })).config;
    expect(merged.getCluster('one')?.caFile).toBe(path.join(dir, 'one', 'ca.crt'));
    expect(merged.getCluster('two')?.caFile).toBe(path.join(dir, 'certs', 'ca.crt'));
    expect(merged.getUser('u')).toMatchObject({ certFile: path.join(dir, 'two', 'u.crt'), keyFile: path.join(dir, 'two', 'u.key') });
  });
});

describe('missing KUBECONFIG files are skipped', () => {
  test('each missing file is skipped and logged once; the rest is used', async () => {
    const { a } = twoFiles();
    const gone = path.join(dir, 'gone.yaml');
    const alsoGone = path.join(dir, 'no-such-folder', 'config');
    const { log, warnings } = capturedLog();
    const kube = kubeProviderFromEnvironment({ env: { KUBECONFIG: list(gone, a, gone, '', alsoGone) }, log });
    expect(kube.clients().origin).toBe(a);
    expect((await kube.clients().apiServer()).server.href).toBe('https://a.example:6443/');
    expect(warnings().map((l) => l.file)).toEqual([gone, alsoGone]);
    expect(String(warnings()[0].msg)).toContain(gone);
  });

  test('an empty file is an empty config, merged with the rest', async () => {
    const empty = write('empty.yaml', '');
    const comments = write('comments.yaml', '# nothing here\n');
    const { a } = twoFiles();
    const kube = kubeProviderFromEnvironment({ env: { KUBECONFIG: list(empty, comments, a) } });
    expect(kube.clients().origin).toBe(list(empty, comments, a));
    expect((await kube.clients().apiServer()).server.href).toBe('https://a.example:6443/');
  });
});

describe('fallback order: kubeconfig files, then in-cluster, then no cluster', () => {
  test('KUBECONFIG set and none of its files exists: in-cluster, and ~/.kube/config is never read', () => {
    const pod = inCluster();
    const { log, warnings } = capturedLog();
    const gone = path.join(dir, 'gone.yaml');
    const kube = kubeProviderFromEnvironment({ env: { ...pod.env, HOME: homeWithConfig(), KUBECONFIG: gone }, log, serviceAccountRoot: pod.serviceAccountRoot });
    expect(kube.configured).toBe(true);
    expect(kube.clients().origin).toBe('in-cluster');
    expect(warnings().map((l) => l.file)).toEqual([gone]);
  });

  test('KUBECONFIG set, none exists, not in a pod: no cluster, and requests that need one say why', () => {
    const kube = kubeProviderFromEnvironment({
      env: { HOME: homeWithConfig(), KUBECONFIG: list(path.join(dir, 'x'), path.join(dir, 'y')) },
      serviceAccountRoot: path.join(dir, 'no-pod'),
    });
    expect(kube.configured).toBe(false);
    expect(() => kube.clients()).toThrow(/^no Kubernetes cluster is configured \(none of the KUBECONFIG files exists, not running in a pod\)/);
  });

  test('in-cluster needs both KUBERNETES_SERVICE_HOST and _PORT, as client-go checks', () => {
    const pod = inCluster();
    const kube = kubeProviderFromEnvironment({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', HOME: path.join(dir, 'empty-home'), KUBECONFIG: path.join(dir, 'x') },
      serviceAccountRoot: pod.serviceAccountRoot,
    });
    expect(kube.configured).toBe(false);
  });

  test.each([
    ['unset', undefined],
    ['empty', ''],
  ])('KUBECONFIG %s: ~/.kube/config, before in-cluster', (_label, value) => {
    const pod = inCluster();
    const home = homeWithConfig();
    const env: NodeJS.ProcessEnv = { ...pod.env, HOME: home };
    if (value !== undefined) env.KUBECONFIG = value;
    const kube = kubeProviderFromEnvironment({ env, serviceAccountRoot: pod.serviceAccountRoot });
    expect(kube.clients().origin).toBe(path.join(home, '.kube', 'config'));
  });

  test('no KUBECONFIG, no ~/.kube/config: in-cluster when possible, else no cluster (and no warning)', () => {
    const pod = inCluster();
    const home = path.join(dir, 'empty-home');
    const { log, warnings } = capturedLog();
    expect(kubeProviderFromEnvironment({ env: { ...pod.env, HOME: home }, log, serviceAccountRoot: pod.serviceAccountRoot }).clients().origin).toBe('in-cluster');
    const none = kubeProviderFromEnvironment({ env: { HOME: home }, log, serviceAccountRoot: pod.serviceAccountRoot });
    expect(none.configured).toBe(false);
    expect(() => none.clients()).toThrow(/no KUBECONFIG, no ~\/\.kube\/config, not running in a pod/);
    expect(warnings()).toEqual([]);
  });

  test('files that set no current-context are an empty config, as in client-go: in-cluster, else no cluster', () => {
    const pod = inCluster();
    const file = write('no-current.yaml', { clusters: [{ name: 'c', cluster: { server: 'https://c.example' } }], contexts: [{ name: 'c', context: { cluster: 'c' } }] });
    const { log, warnings } = capturedLog();
    const kube = kubeProviderFromEnvironment({ env: { ...pod.env, KUBECONFIG: file }, log, serviceAccountRoot: pod.serviceAccountRoot });
    expect(kube.clients().origin).toBe('in-cluster');
    expect(String(warnings()[0]?.msg)).toMatch(/no current-context/);
    const none = kubeProviderFromEnvironment({ env: { KUBECONFIG: file }, serviceAccountRoot: path.join(dir, 'no-pod') });
    expect(none.configured).toBe(false);
  });
});

describe('a file that exists but is not a kubeconfig stops the start, naming the file', () => {
  test.each([
    ['YAML that does not parse', 'clusters: [oops\n', /unexpected end of the stream/],
    ['a YAML list', '- a\n- b\n', /not a YAML mapping/],
    ['a bare word', 'hello\n', /not a YAML mapping/],
    ['another kind of object', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n', /its kind is "Pod", not "Config"/],
    ['clusters that are not a list', 'clusters: 3\n', /clusters is not a list/],
    ['a cluster without its server', 'clusters:\n- name: c\n  cluster: {}\n', /clusters\[0\]\.cluster\.server is missing/],
    ['two YAML documents', 'kind: Config\n---\nkind: Config\n', /single document/],
  ])('%s', (_label, content, reason) => {
    const bad = write('bad.yaml', content);
    const { a } = twoFiles();
    const run = () => kubeProviderFromEnvironment({ env: { KUBECONFIG: list(path.join(dir, 'gone'), a, bad) } });
    expect(run).toThrow(`KUBECONFIG: ${bad} cannot be read as a kubeconfig: `);
    expect(run).toThrow(reason);
  });

  test('the reason is one line, without the snippet of the file js-yaml would quote', () => {
    const bad = write('bad.yaml', 'users:\n- name: u\n  user: {token: secret-token-value}\nclusters: [oops\n');
    let message = '';
    try {
      kubeProviderFromEnvironment({ env: { KUBECONFIG: bad } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^KUBECONFIG: .* cannot be read as a kubeconfig: /);
    expect(message).not.toContain('\n');
    expect(message).not.toContain('secret-token-value');
  });

  test('a folder is not a missing file: it is an error too', () => {
    fs.mkdirSync(path.join(dir, 'folder'));
    expect(() => kubeProviderFromEnvironment({ env: { KUBECONFIG: path.join(dir, 'folder') } })).toThrow(
      `KUBECONFIG: ${path.join(dir, 'folder')} cannot be read as a kubeconfig: EISDIR`,
    );
  });

  test('~/.kube/config that does not parse is named the same way', () => {
    const home = path.join(dir, 'home');
    write('home/.kube/config', 'clusters: [oops\n');
    expect(() => kubeProviderFromEnvironment({ env: { HOME: home } })).toThrow(`~/.kube/config: ${path.join(home, '.kube', 'config')} cannot be read as a kubeconfig: `);
  });

  test('a current-context no file defines, or a context whose cluster no file defines, is an error', () => {
    const a = write('a.yaml', { clusters: [{ name: 'c', cluster: { server: 'https://c.example' } }], 'current-context': 'nowhere' });
    expect(() => kubeProviderFromEnvironment({ env: { KUBECONFIG: a } })).toThrow(`KUBECONFIG: current-context "nowhere" is not defined in ${a}`);
    const b = write('b.yaml', { contexts: [{ name: 'x', context: { cluster: 'missing' } }], 'current-context': 'x' });
    expect(() => kubeProviderFromEnvironment({ env: { KUBECONFIG: list(b, a) } })).toThrow(`context "x" names cluster "missing", which ${list(b, a)} does not define`);
  });
});

describe("kubectl's --context (the plugin's): another context of the same files", () => {
  const twoContexts = () =>
    write('two', {
      clusters: [
        { name: 'prod', cluster: { server: 'https://prod.example:6443' } },
        { name: 'dev', cluster: { server: 'https://dev.example:6443' } },
      ],
      users: [{ name: 'me', user: { token: 'x' } }],
      contexts: [
        { name: 'prod', context: { cluster: 'prod', user: 'me' } },
        { name: 'dev', context: { cluster: 'dev', user: 'me', namespace: 'shop' } },
      ],
      'current-context': 'prod',
    });

  test('the context named is used, with its namespace (the default for -n)', async () => {
    const kube = kubeProviderFromEnvironment({ env: { KUBECONFIG: twoContexts() }, context: 'dev' });
    expect((await kube.clients().apiServer()).server.href).toBe('https://dev.example:6443/');
    expect(kube.namespace).toBe('shop');
    const current = kubeProviderFromEnvironment({ env: { KUBECONFIG: twoContexts() } });
    expect((await current.clients().apiServer()).server.href).toBe('https://prod.example:6443/');
    expect(current.namespace).toBeUndefined();
  });

  test('a context the files do not define is an error naming it and them', () => {
    const file = twoContexts();
    expect(() => kubeProviderFromEnvironment({ env: { KUBECONFIG: file }, context: 'staging' })).toThrow(`context "staging" is not defined in ${file}`);
  });
});
