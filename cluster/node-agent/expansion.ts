/**
 * Kubernetes' `$(VAR)` expansion in env values, command and args, ported from
 * k8s.io/kubernetes third_party/forked/golang/expansion: `$(NAME)` becomes the
 * variable's value, an undefined one stays `$(NAME)` verbatim, `$$` is a
 * literal `$`, and a `$` before anything else is kept as it is.
 */
export function expand(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { read, isVar, advance } = readVariableName(input.slice(cursor + 1));
    out += isVar ? (vars.get(read) ?? `$(${read})`) : read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function readVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  if (input[0] === '$') return { read: '$', isVar: false, advance: 1 };
  if (input[0] === '(') {
    const close = input.indexOf(')', 1);
    // An unclosed reference is kept as written.
    return close < 0 ? { read: '$(', isVar: false, advance: 1 } : { read: input.slice(1, close), isVar: true, advance: close + 1 };
  }
  return { read: `$${input[0]}`, isVar: false, advance: 1 };
}
