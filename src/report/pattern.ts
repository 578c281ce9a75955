import { InputError } from '../errors';

/**
 * pprof's regexes are Go's (RE2). JavaScript's differ at the edges, so translate what RE2 has and JavaScript
 * spells differently, and refuse what RE2 refuses (look-around, back-references), as pprof would.
 */
export function compilePattern(key: string, source: string): RegExp {
  const fail = (message: string): never => {
    throw new InputError(`parsing ${key} regexp: ${message}`, [{ key, message }]);
  };
  if (/\(\?<?[=!]/.test(source)) fail('look-around assertions are not supported (Go regexp syntax)');
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(source)) fail('back-references are not supported (Go regexp syntax)');
  let flags = '';
  let body = source;
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(body);
  if (leading) {
    for (const flag of leading[1]) {
      if (!'ims'.includes(flag)) fail(`flag ${flag} is not supported`);
      if (!flags.includes(flag)) flags += flag;
    }
    body = body.slice(leading[0].length);
  }
  body = translate(body);
  try {
    return new RegExp(body, flags);
  } catch (error) {
    return fail((error as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  ascii: '\\x00-\\x7f',
  blank: ' \\t',
  digit: '0-9',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '\\w',
  xdigit: '0-9a-fA-F',
};

/** RE2 spellings JavaScript lacks: \Q..\E quoting, \A and \z anchors, (?P<name>...), [[:alpha:]]. */
function translate(body: string): string {
  return body
    .replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_m, quoted: string) => quoted.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .replace(/\(\?P</g, '(?<')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2(?<![\\s\\S])')
    .replace(/(^|[^\\])((?:\\\\)*)\\z/g, '$1$2(?![\\s\\S])')
    .replace(/\[:(\w+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
}
