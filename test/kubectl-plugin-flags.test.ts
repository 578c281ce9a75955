import { parseFlags, seconds, UsageError } from '../src/plugin/flags';
import { outputFormat } from '../src/plugin/outputs';
import { pluginRequestBody } from '../src/plugin/plugin-request';
import { parseProfilerRequest } from '../src/parameters/request';
import { KEYS } from '../src/parameters/schema';

// The plugin's flags, and the request body they become: the very one the service's parser reads.
const limits = { defaultExpirationSeconds: 7200, maxExpirationSeconds: 86400, jobNamespace: 'apps' };

test.each<[string[], Record<string, unknown>]>([
  [['apps', 'web-1'], { namespace: 'apps', pod: 'web-1', type: 'Profile', durationSeconds: 30, port: 6060, output: 'flamegraph.svg', collector: 'job', cleanup: true }],
  [['apps', 'web-1', 'app', '-t', 'heap', '-o', 'x.pb.gz'], { namespace: 'apps', pod: 'web-1', container: 'app', type: 'Heap', output: 'x.pb.gz' }],
  [['-n', 'apps', 'web-1'], { namespace: 'apps', pod: 'web-1' }],
  [['web-1'], { namespace: undefined, pod: 'web-1' }],
  [['apps', 'deployment/web'], { namespace: 'apps', workload: 'deployment/web' }],
  [['apps', 'deploy/web', '--collector', 'proxy'], { workload: 'deploy/web', collector: 'proxy' }],
  [['-l', 'app=web', 'apps'], { namespace: 'apps', selector: 'app=web' }],
  [['-d', '1m30s', '--port', '8080', 'a', 'b'], { durationSeconds: 90, port: 8080 }],
  [['--serve', 'a', 'b'], { serve: '127.0.0.1:0', namespace: 'a', pod: 'b' }],
  [['--serve', ':8080', 'a', 'b'], { serve: ':8080', pod: 'b' }],
  [['--serve=0.0.0.0:9000', 'a', 'b'], { serve: '0.0.0.0:9000' }],
  [['--cleanup=false', '--job-name', 'me', '--timeout', '2m', 'a', 'b'], { cleanup: false, jobName: 'me', timeoutSeconds: 120 }],
  [['-t', 'GoroutineLeak', 'a', 'b'], { type: 'GoroutineLeak' }],
  [['--via', 'http://svc:8090', 'a', 'b'], { via: 'http://svc:8090' }],
])('%j', (argv, expected) => {
  expect(parseFlags(argv)).toMatchObject(expected);
});

test.each([
  [['-t', 'cpuu', 'a', 'b'], 'unknown --type "cpuu"'],
  [['-d', 'soon', 'a', 'b'], '--duration "soon": a duration such as 30s, 5m or 1m30s'],
  [['-d', '0s', 'a', 'b'], '--duration must be more than 0 seconds'],
  [['--port', '70000', 'a', 'b'], '--port "70000": a port from 1 to 65535'],
  [['--collector', 'ssh', 'a', 'b'], 'unknown --collector "ssh": job, proxy or direct'],
  [['--cleanup=maybe', 'a', 'b'], '--cleanup=maybe: true or false'],
  [['a', 'b', 'c', 'd'], 'unexpected argument "d"'],
  [['a', 'deployment/web', 'app'], 'a workload (deployment/web) takes no container argument'],
  [['a', 'cronjob/web'], 'unknown workload kind in "cronjob/web"'],
  [['-l', 'x=y', 'a', 'b'], '-l profiles the pods the selector matches: unexpected "b"'],
  [[], 'which pod?'],
  [['--nope'], "Unknown option '--nope'"],
])('%j is a usage error', (argv, message) => {
  expect(() => parseFlags(argv)).toThrow(UsageError);
  expect(() => parseFlags(argv)).toThrow(message);
});

test('-h is help, whatever else is there', () => {
  expect(parseFlags(['-h']).help).toBe(true);
  expect(parseFlags(['--help', '--type', 'nonsense']).help).toBe(true);
});

test('durations as Go writes them, or plain seconds', () => {
  expect([seconds('-d', '30'), seconds('-d', '30s'), seconds('-d', '5m'), seconds('-d', '1h'), seconds('-d', '1h2m3s')]).toEqual([30, 30, 300, 3600, 3723]);
});

test('the output format follows the extension', () => {
  expect(['a.svg', 'a.SVG', 'a.pb.gz', 'a.prof', 'a.json', 'a.html', '-'].map(outputFormat)).toEqual(['svg', 'svg', 'profile', 'profile', 'json', 'html', 'stdout']);
  expect(() => outputFormat('a.png')).toThrow(UsageError);
});

test('the flags become the executor\'s request, which the service\'s parser reads as a pod target with its container', () => {
  const body = pluginRequestBody(parseFlags(['-t', 'heap', '--port', '7070', 'apps', 'web-1', 'app']), 'apps');
  const request = parseProfilerRequest(body, limits);
  expect(request).toMatchObject({ type: 'Heap', collector: { kind: 'job', pod: { namespace: 'apps', name: 'web-1', container: 'app', port: 7070 } } });
  expect(request.context).toMatchObject({ podNamespace: 'apps', podName: 'web-1', container: 'app', diagnosisName: 'kubectl-go-profiler' });
});

test('a workload or a selector becomes target.*; direct becomes an http source', () => {
  expect(pluginRequestBody(parseFlags(['apps', 'sts/db', '--collector', 'proxy']), 'apps')).toMatchObject({ [KEYS.targetWorkload]: 'sts/db', [KEYS.targetNamespace]: 'apps', [KEYS.collector]: 'proxy' });
  expect(pluginRequestBody(parseFlags(['-l', 'app=web', 'apps']), 'apps')).toMatchObject({ [KEYS.targetSelector]: 'app=web' });
  const direct = pluginRequestBody(parseFlags(['--collector', 'direct', 'apps', 'web-1']), 'apps', 'http://10.1.2.3:6060/');
  expect(direct[KEYS.source]).toBe('http://10.1.2.3:6060/');
  expect(direct[KEYS.collector]).toBeUndefined();
  expect(parseProfilerRequest(direct, limits)).toMatchObject({ collector: { kind: 'http' } });
});
