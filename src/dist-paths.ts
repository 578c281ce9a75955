import path from 'node:path';

/**
 * Where the build's output is (the worker, the WebAssembly, the viewer's assets): the folder this module is in once
 * compiled (dist/), the repository's dist/ when it runs from src/ (the tests), or GO_PROFILER_DIST, which the
 * single-executable plugin sets to where it unpacked them (its code is one bundle, wherever that is).
 */
export function distPath(...segments: string[]): string {
  const root = process.env.GO_PROFILER_DIST || (__filename.endsWith('.ts') ? path.join(__dirname, '..', 'dist') : __dirname);
  return path.join(root, ...segments);
}
