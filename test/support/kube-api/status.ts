/**
 * metav1.Status error bodies, built the way kube-apiserver builds them
 * (k8s.io/apimachinery/pkg/api/errors/errors.go and
 * k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go).
 *
 * Keys are created in the order Go's encoding/json writes the struct fields,
 * and empty `omitempty` fields are left out, so JSON.stringify of these
 * objects matches the real bytes.
 */

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** A group + resource, e.g. {group: '', resource: 'secrets'} or {group: 'batch', resource: 'jobs'}. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** A Status the server answers with; handlers throw it, the server writes it. */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

/** schema.GroupResource.String(): "secrets" for the core group, "jobs.batch" otherwise. */
export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function details(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  if (gr.resource) d.kind = gr.resource; // Status uses the resource (plural) as "kind"
  return d;
}

function failure(code: number, reason: string, message: string, d?: StatusDetails): StatusError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(d ? { details: d } : {}),
    code,
  };
  return new StatusError(status);
}

/** errors.NewNotFound: `secrets "x" not found`. */
export function notFound(gr: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${qualified(gr)} ${JSON.stringify(name)} not found`, details(gr, name));
}

/** errors.NewAlreadyExists: `jobs.batch "x" already exists` (409). */
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${qualified(gr)} ${JSON.stringify(name)} already exists`, details(gr, name));
}

/** errors.NewUnauthorized("Unauthorized"), as the authentication filter sends it: no details. */
export function unauthorized(): StatusError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

/** errors.NewForbidden(gr, name, err): `secrets "x" is forbidden: <err>`. */
export function forbidden(gr: GroupResource, name: string, err: string): StatusError {
  let message: string;
  if (!gr.group && !gr.resource) message = `forbidden: ${err}`;
  else if (!name) message = `${qualified(gr)} is forbidden: ${err}`;
  else message = `${qualified(gr)} ${JSON.stringify(name)} is forbidden: ${err}`;
  return failure(403, 'Forbidden', message, details(gr, name));
}

/** The go-restful "no route" answer: NewGenericServerResponse(404, "", {}, "", ...). */
export function routeNotFound(): StatusError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** errors.NewBadRequest (400, no details), e.g. for an unparsable selector. */
export function badRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

/** errors.NewMethodNotSupported: `create is not supported on resources of kind "pods/log"` (405). */
export function methodNotSupported(gr: GroupResource, action: string): StatusError {
  const d: StatusDetails = {};
  if (gr.group) d.group = gr.group;
  if (gr.resource) d.kind = gr.resource;
  return failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind ${JSON.stringify(qualified(gr))}`, d);
}

/** One field error of an Invalid status (metav1.StatusCause). */
export interface FieldCause {
  reason: string; // e.g. FieldValueInvalid, FieldValueRequired
  message: string; // e.g. `Invalid value: "x": ...` or `Required value`
  field: string; // e.g. metadata.name
}

/** errors.NewInvalid(groupKind, name, errs): `Job.batch "x" is invalid: <field>: <message>` (422). */
export function invalid(gk: { group: string; kind: string }, name: string, causes: FieldCause[]): StatusError {
  const qualifiedKind = gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  // ToAggregate(): one error is printed bare, several as "[a, b]".
  const aggregate = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gk.group) d.group = gk.group;
  d.kind = gk.kind;
  d.causes = causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field }));
  return failure(422, 'Invalid', `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${aggregate}`, d);
}
