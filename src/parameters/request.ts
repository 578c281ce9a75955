import { readDiffBase } from './diff-base';
import { parseRequest, ParseLimits, ProfileRequest, requestObject } from './parse';
import { GroupRequest, parseGroupRequest } from './parse-group';
import { isGroupRequest } from './targets';

export type ParsedRequest = ProfileRequest | GroupRequest;

/** The processor's entry: one target (source, or a pod) or many (sources, target.*). */
export function parseProfilerRequest(body: unknown, limits: ParseLimits): ParsedRequest {
  const params = requestObject(body);
  const request = isGroupRequest(params) ? parseGroupRequest(params, limits) : parseRequest(params, limits);
  const diff = readDiffBase(params, limits);
  return diff ? { ...request, diff } : request;
}

export function isGroup(request: ParsedRequest): request is GroupRequest {
  return 'group' in request;
}
