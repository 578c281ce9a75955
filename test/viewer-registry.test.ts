import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { CapacityError, NotFoundError } from '../src/errors';
import { createApp } from '../src/http/app';
import { Metrics } from '../src/http/metrics';
import { createLogger } from '../src/log';
import { ProcessorDeps } from '../src/processor/go-profiler';
import { LiveViewer, newViewerId, ViewerLoader, ViewerRegistry, ViewerUnavailableError } from '../src/viewer/registry';
import { ViewerProfile } from '../src/viewer/viewer-profile';
import { request } from './support/http-json';
import { viewerProfileOf } from './support/viewer-profile';

// The registry with real viewer servers on real profiles: reopening stored viewers, loading them on demand, and
// making room by closing the least recently used idle one that storage can bring back.
const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const CPU = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'cpu.pb.gz'));
const log = createLogger('silent');
const heap = viewerProfileOf(HEAP, 'Heap');
const cpu = viewerProfileOf(CPU, 'Profile');
const ID = (n: number) => n.toString(16).padStart(32, 'a');
const inAnHour = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);

/** A stand-in for storage: profiles stored by id, with their expiry; counts the loads. */
function store(entries: Record<string, { profile: ViewerProfile; expiresAt: Date }> = {}) {
  const loads: string[] = [];
  const loader: ViewerLoader = async (id) => {
    loads.push(id);
    await new Promise((resolve) => setTimeout(resolve, 30));
    return entries[id];
  };
  return { entries, loads, loader };
}

const registries: ViewerRegistry[] = [];
function registry(maxViewers: number, loader?: ViewerLoader): ViewerRegistry {
  const made = new ViewerRegistry({ maxViewers, bindAddress: '127.0.0.1', log, loader });
  registries.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.closeAll()));
});

const direct = (live: LiveViewer, route: string) => request(`http://127.0.0.1:${live.port}/${route}`);

describe('lookup', () => {
  test('concurrent lookups of a viewer it does not hold share one load, and get it with its own id and expiry', async () => {
    const expiresAt = inAnHour();
    const { loads, loader } = store({ [ID(1)]: { profile: heap, expiresAt } });
    const viewers = registry(4, loader);
    const found = await Promise.all(Array.from({ length: 5 }, () => viewers.lookup(ID(1))));
    expect(loads).toEqual([ID(1)]);
    expect(new Set(found.map((v) => v?.port)).size).toBe(1);
    expect(found[0]).toMatchObject({ id: ID(1), expiresAt });
    expect(viewers.size).toBe(1);
    const info = (await direct(found[0] as LiveViewer, 'api/profile')).json();
    expect(info.expiresAt).toBe(expiresAt.toISOString());
    expect(info.type).toBe('Heap');
    // Held now: no second load.
    expect((await viewers.lookup(ID(1)))?.port).toBe(found[0]?.port);
    expect(loads).toHaveLength(1);
  });

  test('unknown and expired viewers are not opened; reopen refuses an expired one', async () => {
    const { loads, loader } = store({ [ID(2)]: { profile: heap, expiresAt: new Date(Date.now() - 1000) } });
    const viewers = registry(4, loader);
    expect(await viewers.lookup(ID(2))).toBeUndefined();
    expect(await viewers.lookup(ID(3))).toBeUndefined();
    expect(loads).toEqual([ID(2), ID(3)]);
    expect(viewers.size).toBe(0);
    await expect(viewers.reopen(viewers.reserve(), heap, { id: ID(2), expiresAt: new Date(Date.now() - 1) })).rejects.toThrow(NotFoundError);
    expect(viewers.size).toBe(0);
    // The slot went back: all 4 can still be taken.
    for (let i = 0; i < 4; i++) viewers.reserve();
    expect(() => viewers.reserve()).toThrow(CapacityError);
  });

  test('a failing loader is a ViewerUnavailableError (503 with Retry-After), and the next lookup tries again', async () => {
    let fail = true;
    const viewers = registry(4, async () => {
      if (fail) throw new Error('connect ECONNREFUSED 10.0.0.9:9000');
      return { profile: heap, expiresAt: inAnHour() };
    });
    const refused = viewers.lookup(ID(4));
    await expect(refused).rejects.toThrow(ViewerUnavailableError);
    await expect(refused).rejects.toThrow('loading the viewer from storage: connect ECONNREFUSED 10.0.0.9:9000');
    fail = false;
    expect((await viewers.lookup(ID(4)))?.id).toBe(ID(4));
  });

  test('an expiry past what one Node timer holds (2^31-1 ms) keeps the viewer open', async () => {
    const viewers = registry(2);
    const expiresAt = new Date(Date.now() + 40 * 24 * 3600_000);
    const live = await viewers.reopen(viewers.reserve(), heap, { id: ID(5), expiresAt });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(viewers.get(ID(5))).toBe(live);
    expect((await direct(live, 'api/status')).json()).toMatchObject({ state: 'ready', secondsLeft: 0 });
  });

  test('a reopened viewer still closes at its original expiry', async () => {
    const viewers = registry(2);
    await viewers.reopen(viewers.reserve(), heap, { id: ID(6), expiresAt: new Date(Date.now() + 300) });
    expect(viewers.get(ID(6))).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(viewers.get(ID(6))).toBeUndefined();
  });
});

describe('LRU when full', () => {
  test('the least recently used idle reloadable viewer makes room, not the one with a request in flight', async () => {
    const viewers = registry(3);
    const a = await viewers.open(viewers.reserve(), heap, 600, { reloadable: true });
    const b = await viewers.open(viewers.reserve(), cpu, 600, { reloadable: true });
    const c = await viewers.open(viewers.reserve(), heap, 600, { reloadable: true });
    const held = await viewers.acquire(a.id); // a request to a, in flight
    viewers.touch(b.id);
    viewers.touch(c.id); // a is now the least recently used, but busy
    await viewers.open(viewers.reserve(), cpu, 600, { reloadable: true });
    expect(viewers.get(a.id)).toBeDefined();
    expect(viewers.get(b.id)).toBeUndefined();
    expect(viewers.get(c.id)).toBeDefined();
    await expect(direct(b, 'api/profile')).rejects.toThrow(/ECONNREFUSED/);
    // Its request done, a is the least recently used idle one: next out.
    held?.release();
    viewers.reserve();
    expect(viewers.get(a.id)).toBeUndefined();
    expect(viewers.get(c.id)).toBeDefined();
  });

  test("a request to the viewer's own port counts as a use", async () => {
    const viewers = registry(2);
    const a = await viewers.open(viewers.reserve(), heap, 600, { reloadable: true });
    const b = await viewers.open(viewers.reserve(), cpu, 600, { reloadable: true });
    expect((await direct(a, 'api/status')).status).toBe(200);
    viewers.reserve();
    expect(viewers.get(a.id)).toBeDefined();
    expect(viewers.get(b.id)).toBeUndefined();
  });

  test('a viewer that cannot be reloaded is never evicted: 503 then', async () => {
    const viewers = registry(2);
    const a = await viewers.open(viewers.reserve(), heap, 600);
    const b = await viewers.open(viewers.reserve(), cpu, 600, { reloadable: true });
    const held = await viewers.acquire(b.id);
    expect(() => viewers.reserve()).toThrow(/all 2 viewers are in use \(MAX_VIEWERS\)/);
    held?.release();
    viewers.reserve();
    expect(viewers.get(a.id)).toBeDefined();
    expect(viewers.get(b.id)).toBeUndefined();
    expect(() => viewers.reserve()).toThrow(CapacityError);
  });

  test('an id chosen before the open (to store the profile under it); markReloadable once storage holds it', async () => {
    const viewers = registry(1);
    const id = newViewerId();
    const a = await viewers.open(viewers.reserve(), heap, 600, { id });
    expect(a.id).toBe(id);
    const other = registry(1);
    await expect(other.open(other.reserve(), heap, 600, { id: 'not-hex' })).rejects.toThrow(/32 lower-case hex digits/);
    expect(other.size).toBe(0);
    other.reserve(); // the slot went back
    expect(() => viewers.reserve()).toThrow(CapacityError);
    viewers.markReloadable(id);
    viewers.reserve();
    expect(viewers.get(id)).toBeUndefined();
  });

  test('an evicted viewer is reloaded on its next lookup, with its id and expiry; a load makes room too', async () => {
    const expiresAt = inAnHour();
    const { entries, loads, loader } = store();
    const viewers = registry(2, loader);
    const a = await viewers.reopen(viewers.reserve(), heap, { id: ID(7), expiresAt }, { reloadable: true });
    entries[a.id] = { profile: heap, expiresAt };
    const b = await viewers.open(viewers.reserve(), cpu, 600, { reloadable: true });
    entries[b.id] = { profile: cpu, expiresAt: b.expiresAt };
    await viewers.open(viewers.reserve(), heap, 600); // a out
    expect(viewers.get(a.id)).toBeUndefined();
    const back = await viewers.lookup(a.id); // b out, to make room
    expect(loads).toEqual([a.id]);
    expect(back).toMatchObject({ id: a.id, expiresAt });
    expect(viewers.get(b.id)).toBeUndefined();
    expect(viewers.size).toBe(2);
    expect((await direct(back as LiveViewer, 'api/profile')).json().type).toBe('Heap');
    // Full of one that cannot be reloaded and one in flight: b cannot come back now.
    const held = await viewers.acquire(a.id);
    await expect(viewers.lookup(b.id)).rejects.toThrow(CapacityError);
    held?.release();
    expect((await viewers.lookup(b.id))?.id).toBe(b.id);
  });
});

describe('/viewer/<id>/ through the service', () => {
  let server: http.Server;
  let base: string;
  const stored = store();
  const viewers = new ViewerRegistry({ maxViewers: 1, bindAddress: '127.0.0.1', log, loader: stored.loader });

  beforeAll(async () => {
    const config = { ...loadConfig({ VIEWER_BIND_ADDRESS: '127.0.0.1' }) };
    // The viewer routes need only these; the processor is not called here.
    const deps = { config, viewers, log, metrics: new Metrics(() => viewers.size) } as unknown as ProcessorDeps;
    server = http.createServer(createApp(deps, { shuttingDown: false, inFlight: 0 }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/viewer`;
  });
  afterAll(async () => {
    await viewers.closeAll();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("api/profile of a viewer this process never held is loaded from storage and served", async () => {
    const expiresAt = inAnHour();
    stored.entries[ID(8)] = { profile: heap, expiresAt };
    expect(viewers.get(ID(8))).toBeUndefined();
    const answer = await request(`${base}/${ID(8)}/api/profile`);
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ type: 'Heap', expiresAt: expiresAt.toISOString(), downloadName: 'default.test.Heap.prof' });
    expect(viewers.get(ID(8))?.expiresAt).toEqual(expiresAt);
    const top = (await request(`${base}/${ID(8)}/api/top`)).json();
    expect(top.rows[0].name).toBe('main.allocBig');
  });

  test('the one slot taken by a viewer whose request is done: the next one evicts it; the first comes back', async () => {
    stored.entries[ID(9)] = { profile: cpu, expiresAt: inAnHour() };
    expect((await request(`${base}/${ID(9)}/api/profile`)).json().type).toBe('Profile');
    expect(viewers.get(ID(8))).toBeUndefined();
    expect((await request(`${base}/${ID(8)}/api/status`)).json()).toMatchObject({ state: 'ready', secondsLeft: 0 });
    expect(viewers.get(ID(9))).toBeUndefined();
  });

  test('unknown or expired: 404 as before; a path without the slash: 308', async () => {
    stored.entries[ID(10)] = { profile: heap, expiresAt: new Date(Date.now() - 1) };
    for (const id of [ID(10), ID(11)]) {
      const answer = await request(`${base}/${id}/api/profile`);
      expect(answer.status).toBe(404);
      expect(answer.json()).toEqual({ error: 'no such viewer: it never existed or has expired', details: [] });
    }
    const redirect = await request(`${base}/${ID(8)}`);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`/viewer/${ID(8)}/`);
  });

  test('storage failing: 503 with Retry-After and the reason, the service keeps answering', async () => {
    const failing = new ViewerRegistry({ maxViewers: 1, bindAddress: '127.0.0.1', log, loader: () => Promise.reject(new Error('S3 GetObject: 500 InternalError')) });
    const deps = { config: loadConfig({ VIEWER_BIND_ADDRESS: '127.0.0.1' }), viewers: failing, log, metrics: new Metrics(() => 0) } as unknown as ProcessorDeps;
    const app = http.createServer(createApp(deps, { shuttingDown: false, inFlight: 0 }));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
      const answer = await request(`${url}/viewer/${ID(12)}/`);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expect(answer.json()).toEqual({ error: 'loading the viewer from storage: S3 GetObject: 500 InternalError', details: [] });
      expect((await request(`${url}/healthz`)).status).toBe(200);
    } finally {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
  });
});
