import { spawnSync } from 'node:child_process';
import yaml from 'js-yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: any;
}

/** `kubectl kustomize <dir>` (kustomize built into kubectl, offline), parsed. */
export function kustomize(dir: string): KubeObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error) throw new Error(`kubectl kustomize: ${run.error.message} (the tests need kubectl on PATH)`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return yaml.loadAll(run.stdout) as KubeObject[];
}

export function findObject(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (!found) throw new Error(`no ${kind} ${name}${namespace ? ` in ${namespace}` : ''} in the rendered objects`);
  return found;
}
