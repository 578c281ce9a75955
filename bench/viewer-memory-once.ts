// One measurement in a fresh process (run with --expose-gc): memory the service holds per live viewer of a
// profile, from RSS before and after opening several viewers of it.
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
  const [file, countText] = process.argv.slice(2);
  const count = Number(countText);
  const rawBytes = zlib.gunzipSync(fs.readFileSync(file)).length;
  const source = await serveProfiles({ p: file });
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mem-'));
  const service = new Service(loadConfig({ DATA_ROOT: dataRoot, ADVERTISE_ADDRESS: '127.0.0.1', VIEWER_BIND_ADDRESS: '127.0.0.1', MAX_VIEWERS: '100' }), {
    log: createLogger('silent'),
  });
  const port = await service.start(0);
  const open = async () => {
    const answer = await request(`http://127.0.0.1:${port}/processor/goProfiler`, {
      body: { 'param.diagnoser.runtime.go_profiler.source': `${source.url}/p`, 'param.diagnoser.runtime.go_profiler.type': 'heap' },
    });
    if (answer.status !== 200) throw new Error(answer.body.toString());
  };
  await open(); // warm up: worker threads and their heaps exist before the baseline
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      global.gc?.();
      await new Promise((r) => setTimeout(r, 200));
    }
    return process.memoryUsage().rss;
  };
  const before = await settle();
  for (let i = 0; i < count; i++) await open();
  const after = await settle();
  const perViewer = (after - before) / count;
  process.stdout.write(JSON.stringify({ rawBytes, perViewerBytes: perViewer, ratio: perViewer / rawBytes }) + '\n');
  await service.stop();
  await source.close();
  fs.rmSync(dataRoot, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
