import { InputError } from '../errors';
import { PROFILE_TYPES, profileTypeFromName } from '../parameters/profile-types';
import { RecordFilter } from '../storage/profile-record';

export interface HistoryQuery {
  filter: RecordFilter;
  limit: number;
  cursor?: string;
}

export const HISTORY_KEYS = ['namespace', 'pod', 'diagnosis', 'type', 'since', 'until', 'limit', 'cursor'] as const;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** GET /profiles' query: every problem reported together, each naming its key; an empty value is absent, as in the viewer. */
export function parseHistoryQuery(query: URLSearchParams): HistoryQuery {
  const problems: Array<{ key: string; message: string }> = [];
  const refuse = (key: string, message: string) => problems.push({ key, message });
  for (const key of new Set(query.keys())) {
    if (!(HISTORY_KEYS as readonly string[]).includes(key)) refuse(key, `unknown; the history takes ${HISTORY_KEYS.join(', ')}`);
    else if (query.getAll(key).length > 1) refuse(key, 'given more than once');
  }
  const text = (key: string) => {
    const value = query.get(key)?.trim();
    if (!value) return undefined;
    if (value.length > 253) refuse(key, 'must be at most 253 characters');
    return value;
  };
  const time = (key: string) => {
    const value = query.get(key)?.trim();
    if (!value) return undefined;
    const at = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) refuse(key, `must be a time, as ISO 8601 writes it (2026-12-01T10:00:00Z); got ${JSON.stringify(value.slice(0, 50))}`);
    return at;
  };
  const type = text('type');
  if (type !== undefined && !profileTypeFromName(type)) refuse('type', `must be one of ${PROFILE_TYPES.join(', ')}`);
  const rawLimit = query.get('limit')?.trim() || undefined;
  const limit = rawLimit === undefined ? DEFAULT_LIMIT : Number(rawLimit);
  if (rawLimit !== undefined && (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_LIMIT)) refuse('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  const cursor = text('cursor');
  const filter: RecordFilter = { namespace: text('namespace'), pod: text('pod'), diagnosis: text('diagnosis'), type, since: time('since'), until: time('until') };
  if (problems.length > 0) throw new InputError(`history query: ${problems.map((p) => `${p.key} ${p.message}`).join('; ')}`, problems);
  return { filter, limit, cursor };
}
