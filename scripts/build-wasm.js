// Compiles the WebAssembly kernels in wasm/ (AssemblyScript) into dist/wasm/, where src/report/count-frames.ts
// loads them. No runtime (--runtime stub: the kernels allocate nothing), the memory imported from JavaScript.
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const asc = path.join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
for (const name of ['count-frames', 'read-samples']) {
  execFileSync(process.execPath, [asc, path.join('wasm', `${name}.ts`), '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--outFile', path.join('dist', 'wasm', `${name}.wasm`)], { cwd: root, stdio: 'inherit' });
}
