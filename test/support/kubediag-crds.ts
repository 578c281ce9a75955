import fs from 'node:fs';
import path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import yaml from 'js-yaml';

/**
 * KubeDiag's own CRDs (copied from kubediag/kubediag into shared/, beside the repository, as CI lays it out):
 * one validator per kind, from each CRD's openAPIV3Schema.
 *
 * Stricter than the API server in one way: an object schema that lists its properties refuses others. KubeDiag's
 * CRDs are apiextensions v1beta1, which keep unknown fields and let KubeDiag ignore them silently, so a misspelt
 * `timeoutSecond` would otherwise pass.
 */
export const KUBEDIAG_CRDS = path.join(__dirname, '..', '..', '..', 'shared', 'kubediag', 'crds');

export interface CrdValidators {
  group: string;
  byKind: Map<string, ValidateFunction>;
}

/** Every CustomResourceDefinition in the folder's YAML files, as written (KubeDiag's: apiextensions v1beta1). */
export function readKubediagCrds(dir = KUBEDIAG_CRDS): Array<Record<string, any>> {
  if (!fs.existsSync(dir)) throw new Error(`KubeDiag's CRDs are not at ${dir}${dir === KUBEDIAG_CRDS ? ': the tests read them from shared/ beside the repository' : ''}`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) => yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf8')) as Array<Record<string, any> | null>)
    .filter((crd): crd is Record<string, any> => crd?.kind === 'CustomResourceDefinition');
}

export function loadKubediagCrds(dir = KUBEDIAG_CRDS): CrdValidators {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const byKind = new Map<string, ValidateFunction>();
  let group = '';
  for (const crd of readKubediagCrds(dir)) {
    group = crd.spec.group;
    const schema = crd.spec.validation?.openAPIV3Schema ?? crd.spec.versions?.find((v: { storage: boolean }) => v.storage)?.schema?.openAPIV3Schema;
    byKind.set(crd.spec.names.kind, ajv.compile(closed(schema) as object));
  }
  return { group, byKind };
}

/** A copy where every object schema with properties and no additionalProperties refuses unlisted ones. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'properties' ? mapValues(v as object, closed) : closed(v)]));
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}

function mapValues(object: object, fn: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fn(v)]));
}
