/**
 * batch/v1 Jobs: create (schema check, the validation the service would meet,
 * the server's defaults) and delete with kube-apiserver's propagation rules.
 *
 * Create: the body is checked against the Kubernetes OpenAPI schema (a
 * violation is the 400 the server's decoder answers), then against the rules
 * of pkg/apis/batch/validation that matter for a one-pod Job (422 Invalid);
 * the server then sets the selector and the template's controller labels.
 *
 * Delete: propagationPolicy from the query or a DeleteOptions body. For
 * batch/v1 Jobs the server's default is Orphan, so without an explicit policy
 * the pods stay; Background deletes the Job now and its pods just after (the
 * garbage collector); Foreground deletes the pods first.
 */
import { apiVersionOf, PODS } from './resources';
import { replyJson } from './reply';
import type { Handler } from './routes';
import { schemaErrors } from './openapi';
import { badRequest, invalid, notFound, type FieldCause } from './status';
import type { KubeObject, ObjectStore } from './store';

const GARBAGE_COLLECTOR_DELAY_MS = 20;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const createJob: Handler = ({ type, info, body, store, res }) => {
  let job: KubeObject;
  try {
    job = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw badRequest(`Job in version "v1" cannot be handled as a Job: ${(error as Error).message}`);
  }
  if (job.apiVersion !== apiVersionOf(type) || job.kind !== type.kind) {
    throw badRequest(`the API version in the data (${job.apiVersion}) does not match the expected API version (batch/v1)`);
  }
  const schema = schemaErrors('IoK8sApiBatchV1Job', job);
  if (schema.length > 0) throw badRequest(`Job in version "v1" cannot be handled as a Job: ${schema.join('; ')}`);
  if (job.metadata.namespace && job.metadata.namespace !== info.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const causes = validateJob(job);
  if (causes.length > 0) throw invalid({ group: type.group, kind: type.kind }, job.metadata.name ?? '', causes);
  const created = store.create(type, { ...job, metadata: { ...job.metadata, namespace: info.namespace } }, prepareForCreate);
  replyJson(res, 201, created);
};

export const deleteJob: Handler = ({ type, info, url, body, store, res }) => {
  const options = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { propagationPolicy?: string }) : {};
  const policy = url.searchParams.get('propagationPolicy') ?? options.propagationPolicy ?? 'Orphan';
  if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
      { reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"` },
    ]);
  }
  const job = store.get(type, info.namespace, info.name);
  if (!job) throw notFound(type, info.name);
  const uid = job.metadata.uid as string;
  if (policy === 'Orphan') orphanDependents(store, info.namespace, uid);
  if (policy === 'Foreground') deleteDependents(store, info.namespace, uid);
  store.delete(type, info.namespace, info.name);
  if (policy === 'Background') setTimeout(() => deleteDependents(store, info.namespace, uid), GARBAGE_COLLECTOR_DELAY_MS);
  replyJson(res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: info.name, group: type.group, kind: type.resource, uid },
  });
};

/** The pods a Job owns, by ownerReferences uid, as the garbage collector finds them. */
export function dependentsOf(store: ObjectStore, namespace: string, uid: string): KubeObject[] {
  const owners = (pod: KubeObject) => (pod.metadata.ownerReferences ?? []) as Array<{ uid: string }>;
  return store.list(PODS, namespace).filter((pod) => owners(pod).some((ref) => ref.uid === uid));
}

function deleteDependents(store: ObjectStore, namespace: string, uid: string): void {
  for (const pod of dependentsOf(store, namespace, uid)) {
    if (store.get(PODS, namespace, pod.metadata.name)) store.delete(PODS, namespace, pod.metadata.name);
  }
}

function orphanDependents(store: ObjectStore, namespace: string, uid: string): void {
  for (const pod of dependentsOf(store, namespace, uid)) {
    const refs = (pod.metadata.ownerReferences as Array<{ uid: string }>).filter((ref) => ref.uid !== uid);
    store.update(PODS, { ...pod, metadata: { ...pod.metadata, ownerReferences: refs } });
  }
}

/** pkg/apis/batch/validation and core pod validation, the rules a one-container Job can break. */
function validateJob(job: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = job.spec as any;
  const pod = spec?.template?.spec;
  const required = (field: string) => causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' });
  const invalidValue = (field: string, value: unknown, why: string) =>
    causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  for (const [key, value] of Object.entries({ ...job.metadata.labels, ...spec?.template?.metadata?.labels } as Record<string, string>)) {
    if (value.length > 63 || !LABEL_VALUE.test(value)) invalidValue(`metadata.labels`, value, `a valid label value for ${key} must be 63 characters or less, alphanumeric, '-', '_' or '.'`);
  }
  if (!pod) return [...causes, { reason: 'FieldValueRequired', field: 'spec.template.spec', message: 'Required value' }];
  if (!['Never', 'OnFailure'].includes(pod.restartPolicy)) {
    causes.push({ reason: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', message: `Unsupported value: ${JSON.stringify(pod.restartPolicy ?? '')}: supported values: "OnFailure", "Never"` });
  }
  if (!Array.isArray(pod.containers) || pod.containers.length === 0) required('spec.template.spec.containers');
  (pod.containers ?? []).forEach((c: any, i: number) => {
    if (!DNS1123_LABEL.test(c.name ?? '')) invalidValue(`spec.template.spec.containers[${i}].name`, c.name, 'a lowercase RFC 1123 label');
    if (!c.image) required(`spec.template.spec.containers[${i}].image`);
  });
  for (const field of ['activeDeadlineSeconds'] as const) {
    if (spec[field] !== undefined && spec[field] <= 0) invalidValue(`spec.${field}`, spec[field], 'must be greater than 0');
  }
  for (const field of ['backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    if (spec[field] !== undefined && spec[field] < 0) invalidValue(`spec.${field}`, spec[field], 'must be greater than or equal to 0');
  }
  return causes;
}

/** The Job strategy's PrepareForCreate and the defaulting functions: selector, controller labels, defaults. */
function prepareForCreate(job: KubeObject): void {
  const { uid, name } = job.metadata;
  const spec = job.spec as any;
  const controllerLabels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...controllerLabels } };
  job.status = {};
}
