// One measurement in a fresh process (run with --expose-gc): memory the service holds per live viewer of a
// profile, from RSS before and after opening several viewers of it. Garbage is collected in the worker threads
// too, after every open: each decode leaves scratch there (the gunzipped bytes, growable arrays: several times a
// small profile's size) that the worker's next collection frees, which is no viewer's memory. Two opens before the
// baseline let the heaps and the allocator reach their working size. RSS moves by allocator slack of several MB
// either way (freed scratch reused, or kept), which is large beside a small profile's viewers; so the bytes the
// viewers' own arrays hold, plus the main heap's growth, are reported too ("accounted").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { Service } from '../src/service';
import { request } from '../test/support/http-json';
import { serveProfiles } from './profile-server';

async function main(): Promise<void> {
  // The profile, how many viewers, the request's type (default heap) and, for a goroutine profile, its debug=2 dump.
  const [file, countText, type = 'heap', dump] = process.argv.slice(2);
  const count = Number(countText);
  // A goroutine profile's viewer keeps its dump too: the multiple is of the raw profile plus the dump.
  const rawBytes = zlib.gunzipSync(fs.readFileSync(file)).length + (dump ? fs.statSync(dump).size : 0);
  const source = await serveProfiles({ p: { profile: file, dump } });
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mem-'));
  const service = new Service(loadConfig({ DATA_ROOT: dataRoot, ADVERTISE_ADDRESS: '127.0.0.1', VIEWER_BIND_ADDRESS: '127.0.0.1', MAX_VIEWERS: '100', PUBLIC_BASE_URL: 'http://bench' }), {
    log: createLogger('silent'),
  });
  const port = await service.start(0);
  const open = async () => {
    const answer = await request(`http://127.0.0.1:${port}/processor/goProfiler`, {
      body: { 'param.diagnoser.runtime.go_profiler.source': `${source.url}/p`, 'param.diagnoser.runtime.go_profiler.type': type },
    });
    if (answer.status !== 200) throw new Error(answer.body.toString());
    await service.collectGarbage();
    return /\/viewer\/([0-9a-f]+)\//.exec(answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'])?.[1] as string;
  };
  for (let i = 0; i < 2; i++) await open(); // warm up: worker threads and their heaps exist before the baseline
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await service.collectGarbage();
      global.gc?.();
      await new Promise((r) => setTimeout(r, 200));
    }
    return process.memoryUsage();
  };
  const before = await settle();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await open());
  const after = await settle();
  const perViewer = (after.rss - before.rss) / count;
  let arrays = 0;
  for (const id of ids) arrays += typedArrayBytes(service.viewers.get(id)?.profile?.analysis);
  const accounted = arrays / count + (after.heapUsed - before.heapUsed) / count;
  process.stdout.write(JSON.stringify({ rawBytes, perViewerBytes: perViewer, ratio: perViewer / rawBytes, accountedBytes: accounted, accountedRatio: accounted / rawBytes }) + '\n');
  await service.stop();
  await source.close();
  fs.rmSync(dataRoot, { recursive: true, force: true });
}

/** The bytes of every typed array reachable from value (each buffer counted once). */
function typedArrayBytes(value: unknown, seen = new Set<unknown>()): number {
  if (typeof value !== 'object' || value === null || seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return seen.has(value.buffer) ? 0 : (seen.add(value.buffer), value.buffer.byteLength);
  return Object.values(value).reduce((sum: number, v) => sum + typedArrayBytes(v, seen), 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
