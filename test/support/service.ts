import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { KubeProvider } from '../../src/acquire/kube/clients';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { Service } from '../../src/service';

export interface RunningService {
  service: Service;
  url: string;
  dataRoot: string;
  /** Every log line the service wrote, parsed. */
  logs(): Array<Record<string, unknown>>;
  logText(): string;
  stop(): Promise<void>;
}

/** Starts the real service in-process on port 0 with a fresh data root and captured logs. */
export async function startService(env: Record<string, string> = {}, kube?: KubeProvider): Promise<RunningService> {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-data-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ ADVERTISE_ADDRESS: '127.0.0.1', VIEWER_BIND_ADDRESS: '127.0.0.1', DATA_ROOT: dataRoot, LOG_LEVEL: 'debug', ...env });
  const service = new Service(config, { log: createLogger('debug', sink), kube });
  const port = await service.start(0);
  return {
    service,
    url: `http://127.0.0.1:${port}`,
    dataRoot,
    logs: () => lines.map((line) => JSON.parse(line)),
    logText: () => lines.join('\n'),
    async stop() {
      await service.stop();
      fs.rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}
