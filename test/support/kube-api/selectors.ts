/**
 * `labelSelector` and `fieldSelector` query parameters, with the grammar and
 * matching rules of k8s.io/apimachinery/pkg/labels and .../fields:
 *   labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`
 *   fields: `path=v`, `path==v`, `path!=v` over the field labels a resource supports.
 * `!=` and `notin` also match objects that lack the label, as on a real server.
 * Parse errors become 400 BadRequest; their wording is close to, not exactly, the server's.
 */
import { badRequest } from './status';

export type Matcher = (obj: KubeLike) => boolean;
export interface KubeLike {
  metadata: { labels?: Record<string, string> };
}
/** Field label → value getter, per resource (what the real server's field-label conversion allows). */
export type FieldGetters = Record<string, (obj: any) => string | undefined>;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Split on commas that are not inside `( )`. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim());
}

function checkKey(key: string): string {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
  if (!KEY.test(key) || name.length > 63) throw badRequest(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${value}"`);
  return value;
}

function labelRequirement(term: string): Matcher {
  const labels = (o: KubeLike) => o.metadata.labels ?? {};
  let m: RegExpMatchArray | null;
  if ((m = term.match(/^!\s*(\S+)$/))) {
    const key = checkKey(m[1]);
    return (o) => !(key in labels(o));
  }
  if ((m = term.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) {
    const key = checkKey(m[1]);
    const values = new Set(m[3].split(',').map((v) => checkValue(v.trim())));
    return m[2] === 'in'
      ? (o) => key in labels(o) && values.has(labels(o)[key])
      : (o) => !(key in labels(o)) || !values.has(labels(o)[key]);
  }
  if ((m = term.match(/^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/))) {
    const key = checkKey(m[1]);
    const op = m[2];
    if (op === '<' || op === '>') {
      const n = Number(m[3]);
      if (!Number.isInteger(n)) throw badRequest(`unable to parse requirement: for '${op}' operator, the value must be an integer`);
      return (o) => key in labels(o) && (op === '<' ? Number(labels(o)[key]) < n : Number(labels(o)[key]) > n);
    }
    const value = checkValue(m[3]);
    return op === '!=' ? (o) => labels(o)[key] !== value : (o) => labels(o)[key] === value;
  }
  const key = checkKey(term);
  return (o) => key in labels(o);
}

export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector || selector.trim() === '') return () => true;
  const reqs = terms(selector).map(labelRequirement);
  return (o) => reqs.every((r) => r(o));
}

interface FieldTerm {
  field: string;
  op: '=' | '!=';
  value: string;
}

function fieldTerms(selector: string): FieldTerm[] {
  return terms(selector).map((term) => {
    const m = term.match(/^([^=!]+)(==|=|!=)(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    return { field: m[1].trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
  });
}

export function parseFieldSelector(selector: string | null, getters: FieldGetters): Matcher {
  if (!selector || selector.trim() === '') return () => true;
  const checks = fieldTerms(selector).map(({ field, op, value }) => {
    const get = getters[field];
    if (!get) throw badRequest(`field label not supported: ${field}`);
    return (o: KubeLike) => ((get(o) ?? '') === value) === (op === '=');
  });
  return (o) => checks.every((c) => c(o));
}

/** fields.Selector.RequiresExactMatch("metadata.name"): the name a list/watch is narrowed to, if any. */
export function exactName(selector: string | null): string {
  if (!selector) return '';
  try {
    const t = fieldTerms(selector).find((f) => f.field === 'metadata.name' && f.op === '=');
    return t?.value ?? '';
  } catch {
    return '';
  }
}
