import { ErrorDetail, InputError } from '../errors';
import { CommonParameters, ParseLimits, readCommon, readContext } from './parse';
import { RequestContext } from './request-context';
import { KEYS } from './schema';
import { schemaProblems } from './schema-errors';
import { DEFAULT_MAX_PODS, readTargetGroup, TargetGroup } from './targets';

/** A request for many targets at once: their profiles are merged into one. */
export interface GroupRequest extends CommonParameters {
  group: TargetGroup;
  context: RequestContext;
}

export function parseGroupRequest(params: Record<string, unknown>, limits: ParseLimits): GroupRequest {
  const problems: ErrorDetail[] = schemaProblems(params);
  const context = readContext(params);
  const read = readTargetGroup({
    params,
    executorNamespace: context.podNamespace,
    hasSecret: params[KEYS.secretName] !== undefined,
    maxTargets: limits.maxTargetPods ?? DEFAULT_MAX_PODS,
  });
  for (const problem of read.problems) if (!problems.some((p) => p.key === problem.key)) problems.push(problem);
  if (problems.length > 0 || !read.group) throw new InputError('invalid request parameters', problems);
  const { group } = read;
  const common = readCommon(params, limits, group.kind === 'pods' ? group.collector : 'http', problems);
  if (group.kind === 'sources') checkSchemes(group.sources, common.secret !== undefined, problems);
  if (problems.length > 0) throw new InputError('invalid request parameters', problems);
  return { ...common, group, context };
}

/** As for source: https needs the Secret's token, and a token never goes to an http URL. */
function checkSchemes(sources: URL[], hasSecret: boolean, problems: ErrorDetail[]): void {
  const https = sources.filter((u) => u.protocol === 'https:');
  const http = sources.filter((u) => u.protocol !== 'https:');
  if (https.length > 0 && !hasSecret) {
    problems.push({ key: KEYS.secretName, message: `is required for https sources (its token authenticates us): ${https[0].href}` });
  }
  if (http.length > 0 && hasSecret) {
    problems.push({ key: KEYS.sources, message: `has an http URL (${http[0].href}) beside a Secret: a token is never sent in clear text` });
  }
}
