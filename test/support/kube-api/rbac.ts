/**
 * RBAC stand-in: an allow-list of rules checked against the request
 * attributes, and the Forbidden status kube-apiserver's authorization filter
 * writes when nothing allows the request (responsewriters.Forbidden). With no
 * rules set, everything is allowed, as for a cluster-admin. Non-resource paths
 * (/version, /api, ...) are always allowed, as the system:discovery role
 * grants them to every authenticated user.
 */
import type { RequestInfo } from './request-info';
import { forbidden, type StatusError } from './status';

/** Like one PolicyRule granted through a (Cluster)RoleBinding; '*' matches any verb/resource. */
export interface RbacRule {
  verb: string;
  /** Plural resource, with subresource if any: "secrets", "pods/log", "jobs". */
  resource: string;
  /** Defaults to the core group "". */
  apiGroup?: string;
  /** A RoleBinding's namespace; omitted = every namespace (ClusterRoleBinding). */
  namespace?: string;
  /** Restricts the rule to one object, like resourceNames. */
  name?: string;
}

function fullResource(info: RequestInfo): string {
  return info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
}

function allows(rule: RbacRule, info: RequestInfo): boolean {
  return (
    (rule.verb === '*' || rule.verb === info.verb) &&
    (rule.resource === '*' || rule.resource === fullResource(info)) &&
    (rule.apiGroup ?? '') === info.apiGroup &&
    (rule.namespace === undefined || rule.namespace === info.namespace) &&
    (rule.name === undefined || rule.name === info.name)
  );
}

/** responsewriters.forbiddenMessage. */
function forbiddenMessage(info: RequestInfo, user: string): string {
  const u = JSON.stringify(user);
  if (!info.isResourceRequest) return `User ${u} cannot ${info.verb} path ${JSON.stringify(info.path)}`;
  const what = `User ${u} cannot ${info.verb} resource ${JSON.stringify(fullResource(info))} in API group ${JSON.stringify(info.apiGroup)}`;
  return info.namespace ? `${what} in the namespace ${JSON.stringify(info.namespace)}` : `${what} at the cluster scope`;
}

/** Returns the 403 to send, or undefined when the request is allowed. */
export function authorize(rules: RbacRule[] | null, info: RequestInfo, user: string): StatusError | undefined {
  if (rules === null || !info.isResourceRequest) return undefined;
  if (rules.some((r) => allows(r, info))) return undefined;
  // The Status names the resource without its subresource: `pods "x" is forbidden: ... "pods/log" ...`.
  return forbidden({ group: info.apiGroup, resource: info.resource }, info.name, forbiddenMessage(info, user));
}
