/**
 * The Kubernetes OpenAPI schema (v1.27, as compiled by kubernetes-models 5.1.0)
 * for the objects the stand-in accepts in a create. kubernetes-models is an ES
 * module only, so it is loaded by absolute path through Node's own require, not
 * Jest's (see ../client-node.ts for why).
 */
import path from 'node:path';

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
type Validate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

const SCHEMAS = path.resolve(__dirname, '..', '..', '..', 'node_modules', 'kubernetes-models', '_schemas');

function load(name: string): Validate {
  const { createRequire } = process.getBuiltinModule('node:module');
  return (createRequire(__filename)(path.join(SCHEMAS, `${name}.js`)) as { validate: Validate }).validate;
}

const validators = new Map<string, Validate>();

/** Schema violations of an object of `schema` (e.g. IoK8sApiBatchV1Job), as "path: message" lines; [] when valid. */
export function schemaErrors(schema: string, object: unknown): string[] {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = load(schema)));
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? explain(e)}`);
}

/** The compiled validators carry no messages; these are Ajv's wording for the keywords Kubernetes schemas use. */
function explain(e: SchemaError): string {
  switch (e.keyword) {
    case 'type':
      return `must be ${e.params.type}`;
    case 'required':
      return `must have required property '${e.params.missingProperty}'`;
    case 'enum':
      return `must be one of ${JSON.stringify(e.params.allowedValues)}`;
    default:
      return `fails ${e.keyword} ${JSON.stringify(e.params)}`;
  }
}
