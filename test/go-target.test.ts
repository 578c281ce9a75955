// Checks the real Go target and the `go tool pprof` reference wrapper that
// other tests build on, plus the committed fixtures in test/fixtures/profiles.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { goPprofTool, goPprofTop, GoPprofTop } from './support/go-pprof';
import { GoTarget, startGoTarget } from './support/go-target';
import { makeTestPki, TestPki } from './support/tls';

const FIXTURES = path.join(__dirname, 'fixtures', 'profiles');
const MiB = 1024 * 1024;

// Profile endpoints; CPU is shortened to 1 s to keep the suite quick.
const PROFILES: Array<[name: string, urlPath: string]> = [
  ['heap', '/debug/pprof/heap'],
  ['allocs', '/debug/pprof/allocs'],
  ['goroutine', '/debug/pprof/goroutine'],
  ['block', '/debug/pprof/block'],
  ['mutex', '/debug/pprof/mutex'],
  ['threadcreate', '/debug/pprof/threadcreate'],
  ['cpu', '/debug/pprof/profile?seconds=1'],
];

// The first run builds pprof (see goPprofTool): allow for a cold Go cache.
beforeAll(() => goPprofTool(), 180_000);

function isGzip(body: Buffer): boolean {
  return body.length > 2 && body[0] === 0x1f && body[1] === 0x8b;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

function row(top: GoPprofTop, name: string) {
  const found = top.rows.find((r) => r.name === name);
  if (!found) throw new Error(`${name} not in pprof rows: ${top.rows.map((r) => r.name).join(', ')}`);
  return found;
}

describe('go target over plain HTTP', () => {
  let target: GoTarget;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gotarget-test-'));
    target = await startGoTarget(); // first run builds: allow for a cold Go cache
  }, 180_000);
  afterAll(async () => {
    await target?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('announces an http URL on 127.0.0.1 with a real port', () => {
    expect(target.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it.each(PROFILES)('serves the %s profile as gzipped protobuf', async (name, urlPath) => {
    const { status, body } = await get(target.url + urlPath);
    expect(status).toBe(200);
    expect(isGzip(body)).toBe(true);
    expect(gunzipSync(body).length).toBeGreaterThan(0);
    await writeFile(path.join(dir, `${name}.pb.gz`), body);
  });

  it('has exactly the designed set of blocked goroutines', async () => {
    const { status, body } = await get(`${target.url}/debug/pprof/goroutine?debug=2`);
    expect(status).toBe(200);
    // debug=2 prints one stack per goroutine, separated by blank lines.
    const stacks = body.toString('utf8').split('\n\n');
    const count = (fn: string) => stacks.filter((s) => s.includes(`\n${fn}(`)).length;
    expect(count('main.waitOnChannel')).toBe(7);
    expect(count('main.waitOnMutex')).toBe(3);
    expect(count('main.sleepLong')).toBe(5);
    expect(count('main.selectForever')).toBe(2);
  });

  it('has main.allocBig on top of a live heap profile, holding at least 24 MiB', async () => {
    const file = path.join(dir, 'live-heap.pb.gz');
    await writeFile(file, (await get(`${target.url}/debug/pprof/heap`)).body);
    const top = await goPprofTop(file, { sampleIndex: 'inuse_space' });
    expect(top.rows[0].name).toBe('main.allocBig');
    expect(top.rows[0].flat).toBeGreaterThanOrEqual(24 * MiB);
  });

  it('has main.hashLoop on top of a live CPU profile', async () => {
    const top = await goPprofTop(path.join(dir, 'cpu.pb.gz'));
    expect(top.rows[0].name).toBe('main.hashLoop');
    expect(row(top, 'main.burnCPU').cum).toBeGreaterThan(top.total / 2);
  });
});

describe('go target with -token', () => {
  const token = 's3cret-token';
  let target: GoTarget;
  beforeAll(async () => {
    target = await startGoTarget({ token });
  }, 180_000);
  afterAll(() => target?.stop());

  it('rejects /debug/pprof/ requests without the bearer token', async () => {
    expect((await get(`${target.url}/debug/pprof/heap`)).status).toBe(401);
    expect((await get(`${target.url}/debug/pprof/`)).status).toBe(401);
    const wrong = await get(`${target.url}/debug/pprof/heap`, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
  });

  it('serves the profile with the right token', async () => {
    const { status, body } = await get(`${target.url}/debug/pprof/heap`, { Authorization: `Bearer ${token}` });
    expect(status).toBe(200);
    expect(isGzip(body)).toBe(true);
  });
});

describe('go target with -tls-cert/-tls-key', () => {
  let target: GoTarget;
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki(['127.0.0.1']);
    target = await startGoTarget({ tls: { cert: path.join(pki.dir, 'server.crt'), key: path.join(pki.dir, 'server.key') } });
  }, 180_000);
  afterAll(async () => {
    await target?.stop();
    if (pki) await rm(pki.dir, { recursive: true, force: true });
  });

  it('serves pprof over HTTPS with a certificate the CA verifies', async () => {
    expect(target.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<Buffer>((resolve, reject) => {
      https
        .get(`${target.url}/debug/pprof/heap`, { ca: pki.caCert }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
        })
        .on('error', reject);
    });
    expect(isGzip(body)).toBe(true);
  });
});

describe('committed profile fixtures', () => {
  const fixture = (name: string) => path.join(FIXTURES, name);
  const golden = (name: string): GoPprofTop => JSON.parse(readFileSync(fixture(`${name}.top.json`), 'utf8'));

  it.each(PROFILES.map(([name]) => name))('%s: is gzip under 200 KB and matches its golden top', async (name) => {
    const body = readFileSync(fixture(`${name}.pb.gz`));
    expect(isGzip(body)).toBe(true);
    expect(body.length).toBeLessThan(200 * 1024);
    expect(await goPprofTop(fixture(`${name}.pb.gz`))).toEqual(golden(name));
  });

  it('heap: main.allocBig is the top inuse_space function', async () => {
    const top = await goPprofTop(fixture('heap.pb.gz'), { sampleIndex: 'inuse_space' });
    expect(top.rows[0].name).toBe('main.allocBig');
    expect(top.rows[0].flat).toBeGreaterThan(row(top, 'main.allocSmall').flat);
    // cum of the common caller covers both allocation paths
    expect(row(top, 'main.retainMemory').cum).toBe(
      row(top, 'main.fillCache').cum + row(top, 'main.fillBuffers').cum + row(top, 'main.fillIndex').cum,
    );
  });

  it('heap: -focus/-ignore narrow the rows but keep the total', async () => {
    const all = await goPprofTop(fixture('heap.pb.gz'));
    const focused = await goPprofTop(fixture('heap.pb.gz'), { focus: 'main\\.fillCache' });
    expect(focused.total).toBe(all.total);
    expect(focused.rows.map((r) => r.name)).toContain('main.allocBig');
    expect(focused.rows.map((r) => r.name)).not.toContain('main.allocSmall');
    const ignored = await goPprofTop(fixture('heap.pb.gz'), { ignore: 'main\\.allocBig' });
    expect(ignored.total).toBe(all.total);
    expect(ignored.rows[0].name).toBe('main.allocSmall');
  });

  it('goroutine: counts per blocked function', () => {
    const top = golden('goroutine');
    expect(row(top, 'main.waitOnChannel').cum).toBe(7);
    expect(row(top, 'main.waitOnMutex').cum).toBe(3);
    expect(row(top, 'main.sleepLong').cum).toBe(5);
    expect(row(top, 'main.selectForever').cum).toBe(2);
  });

  it('cpu, block, mutex: the designed hot functions', () => {
    expect(golden('cpu').rows[0].name).toBe('main.hashLoop');
    const block = golden('block');
    expect(row(block, 'main.consumeTicks').cum).toBeGreaterThan(row(block, 'main.contendMutex').cum);
    expect(row(block, 'main.contendMutex').cum).toBeGreaterThan(0);
    const mutex = golden('mutex');
    expect(mutex.total).toBeGreaterThan(0);
    expect(row(mutex, 'main.contendMutex').cum).toBe(mutex.total);
  });
});
