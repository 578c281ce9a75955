/**
 * URL → request attributes, following kube-apiserver's RequestInfoFactory
 * (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go). RBAC decisions,
 * Forbidden messages and routing all use these attributes, as the real
 * server's do. Not handled: the deprecated `/watch/` and `/proxy/` path verbs.
 */
import { exactName } from './selectors';

export interface RequestInfo {
  isResourceRequest: boolean;
  /** The URL path, as the non-resource Forbidden message quotes it. */
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection; lowercase HTTP method for non-resource paths. */
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const GROUPLESS_PREFIX = 'api';
const API_PREFIXES = new Set(['api', 'apis']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Record<string, string> = {
  POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete',
};
// Go's strconv.ParseBool true-values, which ListOptions decoding uses for ?watch=.
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false, path: url.pathname, verb: method.toLowerCase(),
    apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '',
  };
  let parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0])) return info;
  const prefix = parts[0];
  parts = parts.slice(1);
  if (prefix !== GROUPLESS_PREFIX) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0];
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0];
  parts = parts.slice(1);
  info.verb = METHOD_VERBS[method] ?? '';

  // /namespaces/{ns}/{resource}/... ; /namespaces/{ns}[/status|/finalize] is the namespace itself.
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
  }
  [info.resource = '', info.name = '', info.subresource = ''] = parts;

  if (!info.name && info.verb === 'get') {
    info.verb = TRUE_VALUES.has(url.searchParams.get('watch') ?? '') ? 'watch' : 'list';
    // A list/watch narrowed to one object is authorized (and named in errors) as that object.
    info.name = exactName(url.searchParams.get('fieldSelector'));
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}
