import fs from 'node:fs';
import path from 'node:path';
import { distPath } from '../../dist-paths';

/** What the offline file is made of, as scripts/build-web.js builds it. */
export interface OfflineAssets {
  /** The viewer's page (index.html), whose references the file inlines. */
  template: string;
  css: string;
  /** The page's bundle for the offline file (web/app/offline-main.ts): the viewer's page with its API answered in the page. */
  app: string;
  /** The call graph worker (Graphviz's WebAssembly is inside it). */
  worker: Buffer;
}

/** dist/viewer/assets, as scripts/build-web.js leaves it. */
const ASSET_DIR = distPath('viewer', 'assets');

let cached: OfflineAssets | undefined;

/** Read once. */
export function offlineAssets(): OfflineAssets {
  if (cached) return cached;
  const read = (name: string) => {
    try {
      return fs.readFileSync(path.join(ASSET_DIR, name));
    } catch (error) {
      throw new Error(`reading the offline viewer's ${name} from ${ASSET_DIR} (built by npm run build): ${(error as Error).message}`);
    }
  };
  cached = {
    template: read('index.html').toString('utf8'),
    css: read('style.css').toString('utf8'),
    app: read('offline-app.js').toString('utf8'),
    worker: read('offline-callgraph-worker.js'),
  };
  return cached;
}
