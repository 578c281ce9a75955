/**
 * A label selector as `kubectl -l` takes it, checked by the grammar of apimachinery's labels.Parse, so that a typo
 * is a 400 naming the key before the API server is asked:
 *   key | !key | key=value | key==value | key!=value | key in (v1,v2) | key notin (v1,v2) | key>N | key<N
 * joined by commas. Returns the reason it is not one, or undefined.
 */
export function labelSelectorProblem(selector: string): string | undefined {
  const requirements = splitRequirements(selector.trim());
  if (!requirements) return 'has an unbalanced parenthesis';
  for (const requirement of requirements) {
    const problem = requirementProblem(requirement.trim());
    if (problem) return `${JSON.stringify(requirement.trim().slice(0, 80))} ${problem}`;
  }
  return undefined;
}

/** Splits at the commas outside `( )`; undefined when the parentheses do not balance. */
function splitRequirements(selector: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return undefined;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(selector.slice(start));
  return parts;
}

const SET = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const COMPARE = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/;

function requirementProblem(requirement: string): string | undefined {
  if (requirement === '') return 'is empty (two commas in a row, or one at an end)';
  const set = SET.exec(requirement);
  if (set) {
    const values = set[3].split(',').map((v) => v.trim());
    return keyProblem(set[1]) ?? values.map(valueProblem).find(Boolean);
  }
  const compare = COMPARE.exec(requirement);
  if (compare) {
    const [, key, operator, value] = compare;
    if ((operator === '<' || operator === '>') && !/^-?\d+$/.test(value.trim())) return `compares with ${operator}, which needs an integer`;
    return keyProblem(key) ?? valueProblem(value.trim());
  }
  const exists = /^!?\s*(\S+)$/.exec(requirement);
  if (exists) return keyProblem(exists[1]);
  return 'is not a requirement (key, !key, key=value, key!=value, key in (a,b), key notin (a,b))';
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0 && !DNS_SUBDOMAIN.test(key.slice(0, slash))) return `has a key prefix that is not a DNS subdomain (${JSON.stringify(key.slice(0, slash).slice(0, 80))})`;
  if (!NAME.test(name)) return `has a key that is not a label name (${JSON.stringify(name.slice(0, 80))}: letters, digits, '-', '_', '.', at most 63)`;
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value === '' || NAME.test(value)) return undefined;
  return `has a value that is not a label value (${JSON.stringify(value.slice(0, 80))}: letters, digits, '-', '_', '.', at most 63)`;
}
