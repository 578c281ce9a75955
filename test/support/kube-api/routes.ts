/**
 * The route table: for each resource (and subresource) the verbs the
 * stand-in serves, each with its handler. A request for a resource not in the
 * table gets the server's generic 404; a verb not listed gets 405.
 *
 * To add batch/v1 Jobs later: a JOBS entry in resources.ts, then here
 *   { type: JOBS, verbs: { create: createObject, get: getObject, list: listObjects,
 *                          watch: watchObjects, delete: deleteObject } }
 * where createObject validates the body against the real schema and deleteObject
 * honours `propagationPolicy`; and `{ type: PODS, subresource: 'log', verbs: { get: podLog } }`.
 * Handlers get the raw response too, so a watch or a followed log can stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from './request-info';
import { apiVersionOf, PODS, SECRETS, typeKey, type ResourceType } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { notFound } from './status';
import type { ObjectStore } from './store';

export interface RouteContext {
  info: RequestInfo;
  type: ResourceType;
  url: URL;
  /** Raw request body (empty for GET). */
  body: Buffer;
  /** Authenticated user name. */
  user: string;
  store: ObjectStore;
  req: IncomingMessage;
  res: ServerResponse;
}

export type Handler = (ctx: RouteContext) => void | Promise<void>;

export interface Route {
  type: ResourceType;
  subresource?: string;
  verbs: Partial<Record<string, Handler>>;
}

/** Writes a JSON body the way the apiserver's JSON serializer does (json.Encoder: trailing newline). */
export function replyJson(res: ServerResponse, code: number, body: unknown): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}

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
  { type: SECRETS, verbs: { get: getObject, list: listObjects } },
  { type: PODS, verbs: { get: getObject, list: listObjects } },
];

export function findRoute(routes: Route[], info: RequestInfo): Route | undefined {
  const key = typeKey(info.apiGroup, info.apiVersion, info.resource);
  return routes.find(
    (r) => typeKey(r.type.group, r.type.version, r.type.resource) === key && (r.subresource ?? '') === info.subresource,
  );
}
