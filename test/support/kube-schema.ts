/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schemas, as compiled by kubernetes-models, and
 * also refuses fields the schema does not know: `kubectl apply` does that too (strict field validation, the
 * default since 1.27), where a misspelt `readinesProbe` would otherwise pass the schema unnoticed.
 *
 * kubernetes-models is an ES module only, so it is loaded by absolute path through Node's own require, not
 * Jest's (see client-node.ts for why).
 */
import fs from 'node:fs';
import path from 'node:path';

interface SchemaError {
  instancePath: string;
  message?: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

const MODELS = path.resolve(__dirname, '..', '..', 'node_modules', 'kubernetes-models');

/** "path: problem" lines for an object; [] when it is valid and has no unknown fields. */
export function kubeObjectProblems(object: { apiVersion?: string; kind?: string }): string[] {
  const validate = validatorFor(String(object.apiVersion), String(object.kind));
  const { proxy, unknownFields } = trackReads(object);
  const problems = validate(proxy) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
  return [...problems, ...unknownFields().map((field) => `${field}: unknown field`)];
}

/** The model's module names its compiled schema, e.g. apps/v1/Deployment.js imports _schemas/IoK8sApiAppsV1Deployment.js. */
function validatorFor(apiVersion: string, kind: string): Validate {
  const model = path.join(MODELS, apiVersion, `${kind}.js`);
  if (!fs.existsSync(model)) throw new Error(`no Kubernetes schema for ${apiVersion} ${kind}`);
  const schema = /_schemas\/(\w+)\.js/.exec(fs.readFileSync(model, 'utf8'))?.[1];
  if (!schema) throw new Error(`${model} names no schema`);
  const { createRequire } = process.getBuiltinModule('node:module');
  return (createRequire(__filename)(path.join(MODELS, '_schemas', `${schema}.js`)) as { validate: Validate }).validate;
}

/**
 * The compiled validators read every property their schema declares, and enumerate the keys only of maps
 * (labels, resources.limits, ...). So a key of an object that was neither read nor enumerated is unknown to it.
 */
function trackReads(root: unknown): { proxy: unknown; unknownFields(): string[] } {
  const seen = new Map<object, { at: string; read: Set<string>; enumerated: boolean }>();
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown, at: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    const record = { at, read: new Set<string>(), enumerated: false };
    if (!Array.isArray(value)) seen.set(value, record);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return child;
        record.read.add(key);
        return wrap(child, `${at}/${key}`);
      },
      has(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return {
    proxy: wrap(root, ''),
    unknownFields: () =>
      [...seen].flatMap(([object, record]) =>
        record.enumerated ? [] : Object.keys(object).filter((key) => !record.read.has(key)).map((key) => `${record.at}/${key}`),
      ),
  };
}
