import type * as ClientNode from '@kubernetes/client-node';

/**
 * @kubernetes/client-node 1.x ships only as an ES module. Node 22 can require() it, but a plain import compiles to
 * a require that Jest's module system (our test runner) cannot follow, so it is loaded through Node's own loader,
 * and only when a cluster is configured.
 */
export function loadClientNode(): typeof ClientNode {
  const { createRequire } = process.getBuiltinModule('node:module');
  return createRequire(__filename)('@kubernetes/client-node') as typeof ClientNode;
}
