import fs from 'node:fs';
import path from 'node:path';
import { parseRequest } from '../src/parameters/parse';
import { KEYS } from '../src/parameters/schema';
import { parseProblems } from './support/parse-problems';

const limits = { defaultExpirationSeconds: 7200, maxExpirationSeconds: 86400 };
const base = { [KEYS.source]: 'http://127.0.0.1:8090', [KEYS.type]: 'Heap' };

const problems = (body: unknown) => parseProblems(body, limits);

describe('parameters', () => {
  test('KubeDiag sample body from its go-profiler description (strings, https, Secret)', () => {
    // ../shared/seeds/003_*.txt: KubeDiag's own request example, values as the executor sends them.
    const seed = fs.readdirSync(path.join(__dirname, '../../shared/seeds')).find((f) => f.startsWith('003_'));
    const text = fs.readFileSync(path.join(__dirname, '../../shared/seeds', seed as string), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(text)?.[1] as string;
    const body = JSON.parse(json.replace(/(?<=[,"\d])\s+\/\/.*$/gm, ''));
    const request = parseRequest(body, limits);
    expect(request.profileUrl.href).toBe('https://10.0.2.15:6443/debug/pprof/heap');
    expect(request.secret).toEqual({ name: 'apiserver-profiler-sa-token-gj9x8', namespace: 'kubediag' });
    expect(request.expirationSeconds).toBe(300);
    expect(request.type).toBe('Heap');
  });

  test('values may be strings or numbers; unknown keys come along', () => {
    const asStrings = parseRequest({ ...base, [KEYS.expirationSeconds]: '300', 'diagnosis.name': 'd1', 'other.result': 'x' }, limits);
    const asNumbers = parseRequest({ ...base, [KEYS.expirationSeconds]: 300 }, limits);
    expect(asStrings.expirationSeconds).toBe(300);
    expect(asNumbers.expirationSeconds).toBe(300);
    expect(asStrings.context.diagnosisName).toBe('d1');
  });

  test.each([
    ['Profile', 'profile'],
    ['heap', 'heap'],
    ['GOROUTINE', 'goroutine'],
    ['allocs', 'allocs'],
    ['Block', 'block'],
    ['mutex', 'mutex'],
    ['ThreadCreate', 'threadcreate'],
  ])('type %s (any case) fetches /debug/pprof/%s', (type, endpoint) => {
    const request = parseRequest({ ...base, [KEYS.type]: type }, limits);
    expect(request.profileUrl.pathname).toBe(`/debug/pprof/${endpoint}`);
  });

  test('CPU profiles ask for ?seconds=, default 30', () => {
    expect(parseRequest({ ...base, [KEYS.type]: 'Profile' }, limits).profileUrl.search).toBe('?seconds=30');
    expect(parseRequest({ ...base, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '5' }, limits).profileUrl.search).toBe('?seconds=5');
    expect(parseRequest({ ...base, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: 7 }, limits).durationSeconds).toBe(7);
  });

  test('a source already inside /debug/pprof/ is used as it is', () => {
    const request = parseRequest({ ...base, [KEYS.source]: 'http://10.0.0.1:6060/debug/pprof/heap?gc=1' }, limits);
    expect(request.profileUrl.href).toBe('http://10.0.0.1:6060/debug/pprof/heap?gc=1');
    const prefixed = parseRequest({ ...base, [KEYS.source]: 'http://10.0.0.1:6060/app/' }, limits);
    expect(prefixed.profileUrl.href).toBe('http://10.0.0.1:6060/app/debug/pprof/heap');
  });

  test('expiration defaults to 7200 and is capped by configuration', () => {
    expect(parseRequest(base, limits).expirationSeconds).toBe(7200);
    expect(parseRequest({ ...base, [KEYS.expirationSeconds]: '999999' }, limits).expirationSeconds).toBe(86400);
  });

  test('secret namespace defaults to default', () => {
    const request = parseRequest({ ...base, [KEYS.source]: 'https://h:1', [KEYS.secretName]: 's' }, limits);
    expect(request.secret).toEqual({ name: 's', namespace: 'default' });
  });

  test.each([
    ['missing source', { [KEYS.type]: 'Heap' }, KEYS.source, /required/],
    ['missing type', { [KEYS.source]: 'http://h:1' }, KEYS.type, /required/],
    ['unknown type', { ...base, [KEYS.type]: 'trace' }, KEYS.type, /one of/],
    ['numeric type', { ...base, [KEYS.type]: 3 }, KEYS.type, /one of/],
    ['ftp source', { ...base, [KEYS.source]: 'ftp://h/x' }, KEYS.source, /http/],
    ['source without host', { ...base, [KEYS.source]: 'http://' }, KEYS.source, /http/],
    ['source with credentials', { ...base, [KEYS.source]: 'http://u:p@h:1' }, KEYS.source, /credentials/],
    ['zero expiration', { ...base, [KEYS.expirationSeconds]: '0' }, KEYS.expirationSeconds, /integer >= 1/],
    ['negative expiration', { ...base, [KEYS.expirationSeconds]: -5 }, KEYS.expirationSeconds, /integer >= 1/],
    ['fractional expiration', { ...base, [KEYS.expirationSeconds]: 1.5 }, KEYS.expirationSeconds, /integer >= 1/],
    ['word expiration', { ...base, [KEYS.expirationSeconds]: 'soon' }, KEYS.expirationSeconds, /integer >= 1/],
    ['duration too long', { ...base, [KEYS.durationSeconds]: '3601' }, KEYS.durationSeconds, /at most 3600/],
    ['zero duration', { ...base, [KEYS.durationSeconds]: 0 }, KEYS.durationSeconds, /integer >= 1/],
    ['https without Secret', { ...base, [KEYS.source]: 'https://h:1' }, KEYS.secretName, /required for an https/],
    ['Secret on plain http', { ...base, [KEYS.secretName]: 's' }, KEYS.secretName, /clear text/],
    ['namespace without name', { ...base, [KEYS.source]: 'https://h:1', [KEYS.secretNamespace]: 'ns' }, KEYS.secretName, /required/],
    ['bad Secret name', { ...base, [KEYS.source]: 'https://h:1', [KEYS.secretName]: 'Not_Valid' }, KEYS.secretName, /object name/],
  ])('%s is a 400 naming the key', (_what, body, key, message) => {
    const found = problems(body).find((p) => p.key === key);
    expect(found?.message).toMatch(message);
  });

  test('several problems are reported together', () => {
    const keys = problems({ [KEYS.type]: 'nope', [KEYS.expirationSeconds]: 'x' }).map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining([KEYS.source, KEYS.type, KEYS.expirationSeconds]));
  });

  test.each([[null], [[1, 2]], ['text'], [42]])('a body that is not an object (%p) is refused', (body) => {
    expect(problems(body)[0].message).toMatch(/JSON object/);
  });

  test('context keys are kept', () => {
    const request = parseRequest(
      { ...base, 'diagnosis.namespace': 'ops', 'diagnosis.name': 'd', 'pod.namespace': 'kube-system', 'pod.name': 'p', container: 'c', node: 'n1' },
      limits,
    );
    expect(request.context).toEqual({ diagnosisNamespace: 'ops', diagnosisName: 'd', podNamespace: 'kube-system', podName: 'p', container: 'c', node: 'n1' });
  });
});
