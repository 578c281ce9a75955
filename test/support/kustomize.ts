import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: any;
}

/** `kubectl kustomize <dir>` (kustomize built into kubectl, offline), parsed. */
export function kustomize(dir: string): KubeObject[] {
  return yaml.loadAll(kustomizeText(dir)) as KubeObject[];
}

/** `kubectl kustomize <dir>`: the YAML `kubectl apply -k` would send. */
export function kustomizeText(dir: string): string {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error) throw new Error(`kubectl kustomize: ${run.error.message} (the tests need kubectl on PATH)`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return run.stdout;
}

/**
 * `kubectl kustomize` of your own kustomization over an overlay of deploy/, as README (Deploying) shows: the image
 * set with `images:`, then the `extra` lines, in which DEPLOY stands for the relative path to deploy/.
 */
export function ownKustomizationText(deploy: string, overlay: string, extra = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-kustomization-'));
  try {
    const relative = (p: string) => path.relative(dir, path.join(deploy, p));
    const text = [
      'resources:',
      `  - ${relative(`overlays/${overlay}`)}`,
      'images:',
      '  - name: go-profiler',
      '    newName: registry.example.com/go-profiler',
      '    newTag: "0.1.0"',
      extra.replaceAll('DEPLOY', relative('.')),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), text);
    return kustomizeText(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function findObject(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (!found) throw new Error(`no ${kind} ${name}${namespace ? ` in ${namespace}` : ''} in the rendered objects`);
  return found;
}

/**
 * An optional RBAC file (deploy/rbac/pods-proxy.yaml) for a service account in namespace: what a user's
 * kustomization that adds it beside an overlay renders (the overlay's ServiceAccount is the subject).
 */
export function rbacFileFor(file: string, namespace: string): string {
  const objects = yaml.loadAll(fs.readFileSync(file, 'utf8')) as KubeObject[];
  for (const object of objects) {
    for (const subject of (object.subjects ?? []) as Array<{ kind: string; namespace?: string }>) {
      if (subject.kind === 'ServiceAccount') subject.namespace = namespace;
    }
  }
  return objects.map((o) => yaml.dump(o)).join('---\n');
}
