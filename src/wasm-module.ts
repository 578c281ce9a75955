import fs from 'node:fs';
import v8 from 'node:v8';

const loaders: Array<(optimized: boolean) => void> = [];

/**
 * A compiled WebAssembly module from dist/wasm/, read and compiled on first use (V8's baseline compiler, function by
 * function as they are first called) unless compileWasmModules() compiled it before; null when it is not built,
 * and the caller's JavaScript path does the same work, slower.
 */
export function lazyWasmModule(file: string): () => WebAssembly.Module | null {
  let loaded: WebAssembly.Module | null | undefined;
  const load = (optimized: boolean) => {
    if (loaded !== undefined) return;
    try {
      const bytes = fs.readFileSync(file);
      loaded = optimized ? withOptimizingCompiler(() => new WebAssembly.Module(bytes)) : new WebAssembly.Module(bytes);
    } catch {
      loaded = null;
    }
  };
  loaders.push(load);
  return () => {
    load(false);
    return loaded as WebAssembly.Module | null;
  };
}

/**
 * Compiles every module loaded so far with V8's optimizing compiler, ahead of their first use: a decode worker does
 * it when it starts (about 50 ms of CPU, once), so that its first profile runs optimized code from the first byte
 * rather than baseline code until V8 tiers it up (measured in interleaved runs: the first decode of the bench's
 * small profile about 20% faster, medium and goroutines 10-15%).
 */
export function compileWasmModules(): void {
  for (const load of loaders) load(true);
}

/**
 * V8 has no option per module: its flags are set around the compile (eager, optimizing) and set back, so that
 * other WebAssembly in the process keeps the defaults.
 */
function withOptimizingCompiler<T>(compile: () => T): T {
  // Set back to V8's defaults after (there is no reading a flag).
  v8.setFlagsFromString('--no-liftoff');
  v8.setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return compile();
  } finally {
    v8.setFlagsFromString('--liftoff');
    v8.setFlagsFromString('--wasm-lazy-compilation');
  }
}
