// Bundles the viewer's front end (web/) with esbuild and copies the static files beside it, into
// dist/viewer/assets/ where the viewer serves them. offline-app.js and offline-callgraph-worker.js are the page and
// worker of the offline viewer file, which src/viewer/offline/ inlines with index.html and style.css (the viewer
// does not serve them).
// Type-checking is `tsc -p web/tsconfig.json` in `npm run build`.
// NO_MINIFY=1 keeps names readable, for profiling the page in a browser.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'viewer', 'assets');
const STATIC = ['index.html', 'style.css', 'history.html'];

const common = {
  bundle: true,
  minify: !process.env.NO_MINIFY,
  sourcemap: false,
  target: ['chrome110', 'firefox115', 'safari16'],
  legalComments: 'none',
  logLevel: 'warning',
};

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [path.join(root, 'web', 'app', 'main.ts')], outfile: path.join(out, 'app.js'), format: 'iife' }),
    // The history of stored profiles (GET /profiles in a browser: history.html), served on the main port.
    esbuild.build({ ...common, entryPoints: [path.join(root, 'web', 'history', 'main.ts')], outfile: path.join(out, 'history.js'), format: 'iife' }),
    // A module worker: @viz-js/viz is an ES module carrying its WebAssembly inline (no separate .wasm to serve).
    esbuild.build({ ...common, entryPoints: [path.join(root, 'web', 'callgraph', 'callgraph-worker.ts')], outfile: path.join(out, 'callgraph-worker.js'), format: 'esm' }),
    // Inlined in a <script>: esbuild escapes "</script" in what it writes; offline-document.ts checks.
    esbuild.build({ ...common, entryPoints: [path.join(root, 'web', 'app', 'offline-main.ts')], outfile: path.join(out, 'offline-app.js'), format: 'iife' }),
    // The same worker as a classic script: a page from file:// cannot start a module worker, even from a blob: URL.
    // import.meta.url is a module worker's script URL, which self.location is in a classic one.
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'web', 'callgraph', 'callgraph-worker.ts')],
      outfile: path.join(out, 'offline-callgraph-worker.js'),
      format: 'iife',
      define: { 'import.meta.url': 'self.location.href' },
    }),
  ]);
  for (const name of STATIC) fs.copyFileSync(path.join(root, 'src', 'viewer', 'assets', name), path.join(out, name));
}

main().catch((error) => {
  console.error(`building the viewer's front end: ${error.message}`);
  process.exit(1);
});
