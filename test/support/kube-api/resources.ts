/**
 * The resource types the stand-in knows: what the real server's discovery
 * document would say about each (group, version, plural, Kind, scope) plus
 * the field labels its fieldSelector accepts.
 */
import type { FieldGetters } from './selectors';
import type { GroupResource } from './status';

export interface ResourceType extends GroupResource {
  version: string;
  kind: string;
  namespaced: boolean;
  /** Field labels accepted by ?fieldSelector= for this resource. */
  fields: FieldGetters;
}

/** Every resource supports these two field labels (apimachinery's DefaultMetaV1FieldSelectorConversion). */
const META_FIELDS: FieldGetters = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace,
};

export const SECRETS: ResourceType = {
  group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true,
  fields: { ...META_FIELDS, type: (o) => o.type },
};

export const PODS: ResourceType = {
  group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true,
  // pkg/registry/core/pod/strategy.go ToSelectableFields (the commonly used subset).
  fields: {
    ...META_FIELDS,
    'spec.nodeName': (o) => o.spec?.nodeName,
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'status.phase': (o) => o.status?.phase,
    'status.podIP': (o) => o.status?.podIP,
  },
};

export const JOBS: ResourceType = {
  group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true,
  // pkg/registry/batch/job/strategy.go JobToSelectableFields.
  fields: { ...META_FIELDS, 'status.successful': (o) => (o.status?.succeeded === undefined ? undefined : String(o.status.succeeded)) },
};

/** "v1" for the core group, "batch/v1" otherwise: the apiVersion objects carry. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** Key shared by the store and the route table: "/v1/secrets", "batch/v1/jobs". */
export function typeKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}
