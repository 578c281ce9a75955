// `npm run build:plugin`: kubectl-go_profiler as one executable file (Node's single executable applications), for
// people without Node.js, and its krew archive and manifest. Run after `npm run build`.
//
// The plugin's code and the analysis worker are bundled by esbuild with their dependencies (one file each); they,
// the WebAssembly and the viewer's assets are the executable's assets. On its first run the executable unpacks them
// into ~/.cache/kubectl-go-profiler/<hash>/ (a folder per build, written once, then renamed into place) and runs
// the bundle from there, with GO_PROFILER_DIST (src/dist-paths.ts) pointing at them.
//
// Output, in dist/plugin-release/: kubectl-go_profiler (the executable), kubectl-go_profiler-linux-amd64.tar.gz
// (it, as krew installs an archive) and go-profiler.yaml (plugins/go-profiler.yaml with this archive's
// sha256).
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'plugin-release');
const stage = path.join(out, 'stage');
const NAME = 'kubectl-go_profiler';
const ARCHIVE = `${NAME}-linux-amd64.tar.gz`;
// postject's sentinel: Node looks for this fuse to know a blob was injected.
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

async function main() {
  if (!fs.existsSync(path.join(dist, 'plugin', 'main.js'))) throw new Error('dist/plugin/main.js is missing: run npm run build first');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(stage, 'dist'), { recursive: true });
  const bundle = { bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning' };
  await esbuild.build({ ...bundle, entryPoints: [path.join(dist, 'plugin', 'main.js')], outfile: path.join(stage, 'dist', 'plugin', 'main.js'), plugins: [bundledClientNode] });
  await esbuild.build({ ...bundle, entryPoints: [path.join(dist, 'workers', 'analyze-worker.js')], outfile: path.join(stage, 'dist', 'workers', 'analyze-worker.js') });
  copyTree(path.join(dist, 'viewer', 'assets'), path.join(stage, 'dist', 'viewer', 'assets'));
  copyTree(path.join(dist, 'wasm'), path.join(stage, 'dist', 'wasm'));

  const assets = {};
  for (const file of listFiles(stage)) assets[path.relative(stage, file)] = file;
  const hash = crypto.createHash('sha256');
  for (const [key, file] of Object.entries(assets).sort()) hash.update(key).update(fs.readFileSync(file));
  const bootstrap = path.join(out, 'sea-main.js');
  fs.writeFileSync(bootstrap, BOOTSTRAP.replace('__BUILD__', hash.digest('hex').slice(0, 16)));
  const config = path.join(out, 'sea-config.json');
  const blob = path.join(out, 'sea-prep.blob');
  fs.writeFileSync(config, JSON.stringify({ main: bootstrap, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets }, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

  const executable = path.join(out, NAME);
  fs.copyFileSync(process.execPath, executable);
  fs.chmodSync(executable, 0o755);
  execFileSync(process.execPath, [require.resolve('postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { stdio: 'inherit' });

  execFileSync('tar', ['-czf', path.join(out, ARCHIVE), '--owner=0', '--group=0', '-C', out, NAME]);
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(path.join(out, ARCHIVE))).digest('hex');
  const manifest = fs.readFileSync(path.join(root, 'plugins', 'go-profiler.yaml'), 'utf8').replace(/sha256: [0-9a-f]{64}/, `sha256: ${sha256}`);
  fs.writeFileSync(path.join(out, 'go-profiler.yaml'), manifest);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.rmSync(blob, { force: true });
  console.log(`${executable}\n${path.join(out, ARCHIVE)} (sha256 ${sha256})`);
}

// src/acquire/kube/client-node.ts loads @kubernetes/client-node (and its js-yaml) through Node's own loader at run
// time (for Jest), which a bundle cannot follow: here they are plain requires from client-node's folder, so esbuild
// bundles them.
const bundledClientNode = {
  name: 'bundled-client-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]acquire[\\/]kube[\\/]client-node\.js$/ }, () => ({
      contents: "exports.loadClientNode = () => require('@kubernetes/client-node'); exports.loadClientNodeYaml = () => require('js-yaml');",
      loader: 'js',
      resolveDir: path.dirname(require.resolve('@kubernetes/client-node')),
    }));
  },
};

// The executable's main script: unpack the assets once per build, then run the bundle.
const BOOTSTRAP = `'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sea = require('node:sea');
const { createRequire } = require('node:module');
// The bundled libraries' deprecation notices (punycode, ...) are for their authors, not for a person's stderr.
process.noDeprecation = true;
const base = process.env.XDG_CACHE_HOME || path.join(os.homedir() || os.tmpdir(), '.cache');
const home = path.join(base, 'kubectl-go-profiler', '__BUILD__');
if (!fs.existsSync(path.join(home, 'dist', 'plugin', 'main.js'))) {
  const scratch = home + '.' + process.pid + '.tmp';
  for (const key of sea.getAssetKeys()) {
    const file = path.join(scratch, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(sea.getAsset(key)));
  }
  fs.mkdirSync(path.dirname(home), { recursive: true });
  try { fs.renameSync(scratch, home); } catch (error) { fs.rmSync(scratch, { recursive: true, force: true }); if (!fs.existsSync(home)) throw error; }
}
process.env.GO_PROFILER_DIST = path.join(home, 'dist');
createRequire(path.join(home, 'dist', 'plugin', 'main.js'))(path.join(home, 'dist', 'plugin', 'main.js'));
`;

function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
