// pprof's tagfocus for one label value: `key=regex` (pprof splits the regex at commas into alternatives, and a
// numeric key takes a value or a range instead).

/** Go's regexp.QuoteMeta, and commas as \x2c so that pprof does not split the value there. */
export function quoteRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&').replace(/,/g, '\\x2c');
}

/** The tagfocus that keeps the samples whose `key` is exactly `value`. */
export function tagFocusFor(key: string, value: string, numeric: boolean): string {
  return numeric ? `${key}=${value}` : `${key}=^${quoteRegex(value)}$`;
}

/** "tenant = tenant-1" for a tagfocus this page made, the expression itself otherwise. */
export function describeTagFocus(expression: string): string {
  const at = expression.indexOf('=');
  if (at < 0) return expression;
  const key = expression.slice(0, at);
  const value = expression.slice(at + 1);
  const exact = /^\^((?:[^\\.+*?()|[\]{}^$]|\\[\\.+*?()|[\]{}^$]|\\x2c)*)\$$/.exec(value);
  const shown = exact ? exact[1].replace(/\\x2c/g, ',').replace(/\\(.)/g, '$1') : value;
  return `${key} = ${shown}`;
}

/** The label key a tagfocus names ("tenant" for "tenant=^tenant-1$"), "" when it names none. */
export function tagFocusKey(expression: string): string {
  const at = expression.indexOf('=');
  return at < 0 ? '' : expression.slice(0, at);
}
