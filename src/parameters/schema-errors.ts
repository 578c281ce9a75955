import Ajv, { type ErrorObject } from 'ajv';
import { ErrorDetail } from '../errors';
import { PROFILE_TYPES } from './profile-types';
import { KEYS, requestSchema } from './schema';

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validate = ajv.compile(requestSchema);

/** The request's shape against the published schema: one detail per key that does not fit. */
export function schemaProblems(params: Record<string, unknown>): ErrorDetail[] {
  return validate(params) ? [] : describeErrors(validate.errors ?? []);
}

/** One detail per key, in words a person can act on; anyOf branches collapse into the property's description. */
function describeErrors(errors: ErrorObject[]): ErrorDetail[] {
  const byKey = new Map<string, ErrorDetail>();
  for (const error of errors) {
    if (error.keyword === 'required') {
      const key = String(error.params.missingProperty);
      byKey.set(key, { key, message: 'is required' });
      continue;
    }
    const key = decodePointer(error.instancePath);
    if (byKey.has(key)) continue;
    byKey.set(key, { key, message: explain(key, error) });
  }
  return [...byKey.values()];
}

function explain(key: string, error: ErrorObject): string {
  const expected = (requestSchema.properties as Record<string, { description: string }>)[key]?.description;
  const shown = JSON.stringify(error.data)?.slice(0, 80);
  switch (key) {
    case KEYS.durationSeconds:
    case KEYS.expirationSeconds:
      return `must be an integer >= 1, as a number or a string of digits; got ${shown}`;
    case KEYS.type:
      return `must be one of ${PROFILE_TYPES.join(', ')}; got ${shown}`;
    case KEYS.source:
      return `must be an http:// or https:// URL with a host; got ${shown}`;
    case KEYS.secretName:
    case KEYS.secretNamespace:
    case KEYS.jobPodName:
    case KEYS.jobNode:
      return `must be a Kubernetes object name (lower-case letters, digits, '-', '.'); got ${shown}`;
    case KEYS.jobPodNamespace:
    case KEYS.targetNamespace:
      return `must be a namespace name (lower-case letters, digits, '-', at most 63); got ${shown}`;
    case KEYS.collector:
      return `must be one of http, job, proxy; got ${shown}`;
    case KEYS.jobPort:
      return `must be a port number from 1 to 65535; got ${shown}`;
    case KEYS.jobHostNetwork:
      return `must be true or false; got ${shown}`;
    case KEYS.targetMaxPods:
      return `must be an integer >= 1, as a number or a string of digits; got ${shown}`;
    case KEYS.targetWorkload:
      return `must be KIND/NAME, e.g. deployment/web (kinds: deployment, statefulset, daemonset, replicaset, job, service); got ${shown}`;
    case KEYS.sources:
    case KEYS.targetSelector:
      return `must be a non-empty string; got ${shown}`;
    default:
      return `${error.message ?? 'is invalid'}${expected ? ` (${expected})` : ''}`;
  }
}

function decodePointer(pointer: string): string {
  return pointer.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
}
