import { ErrorDetail, InputError } from '../errors';
import { parseRequest, ParseLimits, ProfileRequest } from './parse';
import { DIFF_KEYS, KEYS, TARGET_KEYS } from './schema';

/** What the capture is compared with: a stored profile, or one fetched now as the request's source would be. */
export type DiffBase = { kind: 'stored'; path: string; normalize: boolean } | { kind: 'fetched'; request: ProfileRequest; normalize: boolean };

export function isDiffRequest(params: Record<string, unknown>): boolean {
  return DIFF_KEYS.some((key) => params[key] !== undefined);
}

/**
 * The diff keys, once the rest of the request is known to be good (the schema has checked their shapes). The base
 * to fetch is parsed as the request itself with diff_base.source for its source (same type, duration, collector
 * and Secret rules), so its problems are the ones a source would have, named by diff_base.source.
 */
export function readDiffBase(params: Record<string, unknown>, limits: ParseLimits): DiffBase | undefined {
  if (!isDiffRequest(params)) return undefined;
  const stored = params[KEYS.diffBase] as string | undefined;
  const source = params[KEYS.diffBaseSource] as string | undefined;
  const normalize = String(params[KEYS.diffBaseNormalize] ?? 'false').trim().toLowerCase() === 'true';
  const problems: ErrorDetail[] = [];
  if (stored !== undefined && source !== undefined) {
    problems.push({ key: KEYS.diffBaseSource, message: `is refused beside ${KEYS.diffBase}: the base is one profile, stored or fetched` });
  }
  if (stored === undefined && source === undefined) {
    problems.push({ key: KEYS.diffBaseNormalize, message: `needs a base to scale to: ${KEYS.diffBase} or ${KEYS.diffBaseSource}` });
  }
  if (stored !== undefined && stored.trim() === '') problems.push({ key: KEYS.diffBase, message: 'must be a stored profile_path' });
  if (problems.length > 0) throw new InputError('invalid request parameters', problems);
  if (stored !== undefined) return { kind: 'stored', path: stored.trim(), normalize };
  return { kind: 'fetched', request: parseBaseSource(params, source as string, limits), normalize };
}

/** The request as it would be with the base's URL for its source, one target (target.* and sources left out). */
function parseBaseSource(params: Record<string, unknown>, source: string, limits: ParseLimits): ProfileRequest {
  const own: Record<string, unknown> = { ...params, [KEYS.source]: source };
  for (const key of [...DIFF_KEYS, ...TARGET_KEYS, KEYS.sources]) delete own[key];
  try {
    return parseRequest(own, limits);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const details = error.details.map((d) => (d.key === KEYS.source || d.key === undefined ? { ...d, key: KEYS.diffBaseSource } : d));
    throw new InputError(`invalid ${KEYS.diffBaseSource}: ${details.map((d) => `${d.key} ${d.message}`).join('; ')}`, details);
  }
}
