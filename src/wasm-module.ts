import fs from 'node:fs';

/**
 * A compiled WebAssembly module from dist/wasm/, read and compiled on first use; null when it is not built, and the
 * caller's JavaScript path does the same work, slower.
 */
export function lazyWasmModule(file: string): () => WebAssembly.Module | null {
  let loaded: WebAssembly.Module | null | undefined;
  return () => {
    if (loaded === undefined) {
      try {
        loaded = new WebAssembly.Module(fs.readFileSync(file));
      } catch {
        loaded = null;
      }
    }
    return loaded;
  };
}
