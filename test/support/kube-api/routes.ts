/**
 * The route table: for each resource (and subresource) the verbs the
 * stand-in serves, each with its handler. A request for a resource not in the
 * table gets the server's generic 404; a verb not listed gets 405.
 *
 * Jobs (jobs.ts) are validated against the real schema on create and honour
 * `propagationPolicy` on delete; watch.ts streams events; pods/log and
 * pods/proxy (pod-subresources.ts) reach the kubelet stand-in (kubelet.ts).
 * Handlers get the raw response too, so a watch or a followed log can stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createJob, deleteJob } from './jobs';
import type { Kubelet } from './kubelet';
import { podLog, podProxy } from './pod-subresources';
import { replyJson } from './reply';
import type { RequestInfo } from './request-info';
import { apiVersionOf, JOBS, PODS, SECRETS, typeKey, type ResourceType } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { notFound } from './status';
import type { ObjectStore } from './store';
import { watchObjects } from './watch';

export interface RouteContext {
  info: RequestInfo;
  type: ResourceType;
  url: URL;
  /** Raw request body (empty for GET). */
  body: Buffer;
  /** Authenticated user name. */
  user: string;
  store: ObjectStore;
  /** The node side: container logs and the pod network, for pods/log and pods/proxy. */
  kubelet: Kubelet;
  req: IncomingMessage;
  res: ServerResponse;
}

export type Handler = (ctx: RouteContext) => void | Promise<void>;

export interface Route {
  type: ResourceType;
  subresource?: string;
  verbs: Partial<Record<string, Handler>>;
}

export { replyJson } from './reply';

const getObject: Handler = ({ type, info, store, res }) => {
  const obj = store.get(type, info.namespace || undefined, info.name);
  if (!obj) throw notFound(type, info.name);
  replyJson(res, 200, obj);
};

// A list carries the store's current resourceVersion; its items have no kind/apiVersion,
// as the real server encodes them. limit/continue paging is not simulated: all items come back.
const listObjects: Handler = ({ type, info, url, store, res }) => {
  const byLabels = parseLabelSelector(url.searchParams.get('labelSelector'));
  const byFields = parseFieldSelector(url.searchParams.get('fieldSelector'), type.fields);
  const items = store
    .list(type, info.namespace || undefined)
    .filter((o) => byLabels(o) && byFields(o))
    .map(({ kind: _k, apiVersion: _a, ...item }) => item);
  replyJson(res, 200, {
    kind: `${type.kind}List`,
    apiVersion: apiVersionOf(type),
    metadata: { resourceVersion: store.resourceVersion },
    items,
  });
};

export const ROUTES: Route[] = [
  { type: SECRETS, verbs: { get: getObject, list: listObjects, watch: watchObjects } },
  { type: PODS, verbs: { get: getObject, list: listObjects, watch: watchObjects } },
  { type: PODS, subresource: 'log', verbs: { get: podLog } },
  { type: PODS, subresource: 'proxy', verbs: { get: podProxy } },
  { type: JOBS, verbs: { create: createJob, get: getObject, list: listObjects, watch: watchObjects, delete: deleteJob } },
];

export function findRoute(routes: Route[], info: RequestInfo): Route | undefined {
  const key = typeKey(info.apiGroup, info.apiVersion, info.resource);
  return routes.find(
    (r) => typeKey(r.type.group, r.type.version, r.type.resource) === key && (r.subresource ?? '') === info.subresource,
  );
}
