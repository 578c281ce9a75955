/**
 * Loads the real @kubernetes/client-node inside Jest.
 *
 * Why not a plain `import`: client-node 1.x is an ES module only
 * ("type": "module", no CommonJS build). Jest 29 runs test files as CommonJS
 * in its own module system, which cannot load it ("SyntaxError: Unexpected
 * token 'export'"). Node 22 itself can `require()` an ES module, so we ask
 * Node's own loader (not Jest's) for it.
 *
 * What follows from loading it outside Jest's sandbox:
 * - it sees the real `process.env`, not the copy a test edits: pass paths
 *   explicitly (`loadFromFile(path)`), don't rely on a test's KUBECONFIG;
 * - its errors come from another realm: `err instanceof Error` is false in the
 *   test, `err instanceof k8s.ApiException` is true; Jest's `toThrow` and
 *   `toMatchObject` work either way;
 * - jest.mock() cannot mock it.
 */
import type * as ClientNode from '@kubernetes/client-node';

export type K8s = typeof ClientNode;

export function loadClientNode(): K8s {
  const { createRequire } = process.getBuiltinModule('node:module');
  return createRequire(__filename)('@kubernetes/client-node') as K8s;
}
