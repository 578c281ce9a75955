import type * as ClientNode from '@kubernetes/client-node';
import type * as JsYaml from 'js-yaml';

/**
 * @kubernetes/client-node 1.x ships only as an ES module. Node 22 can require() it, but a plain import compiles to
 * a require that Jest's module system (our test runner) cannot follow, so it is loaded through Node's own loader,
 * and only when a cluster is configured.
 */
export function loadClientNode(): typeof ClientNode {
  const { createRequire } = process.getBuiltinModule('node:module');
  return createRequire(__filename)('@kubernetes/client-node') as typeof ClientNode;
}

/**
 * The YAML parser client-node's loadFromString uses (js-yaml, its own dependency), resolved from client-node's
 * folder: a check of a kubeconfig's shape sees the document exactly as loadFromString will.
 */
export function loadClientNodeYaml(): typeof JsYaml {
  const { createRequire } = process.getBuiltinModule('node:module');
  const clientNode = createRequire(__filename).resolve('@kubernetes/client-node');
  return createRequire(clientNode)('js-yaml') as typeof JsYaml;
}
