import { podProfileUrl } from '../src/acquire/target-pod';
import type { PodTarget } from '../src/parameters/collector';
import { parseRequest } from '../src/parameters/parse';
import { KEYS } from '../src/parameters/schema';
import { parseProblems } from './support/parse-problems';

// The collector keys: which target each collector takes, and a 400 naming the key for everything that does not fit.
const limits = { defaultExpirationSeconds: 7200, maxExpirationSeconds: 86400, jobNamespace: 'kubediag' };
const executorPod = { 'pod.namespace': 'apps', 'pod.name': 'gotarget', container: 'app', node: 'worker-1' };

const problems = (body: unknown) => parseProblems(body, limits);

test('http is the default collector and needs a source, as before', () => {
  expect(parseRequest({ [KEYS.source]: 'http://h:1', [KEYS.type]: 'heap' }, limits).collector).toEqual({ kind: 'http' });
  expect(problems({ [KEYS.type]: 'heap' })).toEqual([{ key: KEYS.source, message: 'is required' }]);
});

test.each(['job', 'proxy', 'JOB', ' Proxy '])('collector %p takes the executor\'s pod, container and the default port 6060', (collector) => {
  const request = parseRequest({ [KEYS.collector]: collector, [KEYS.type]: 'Goroutine', ...executorPod }, limits);
  expect(request.collector).toEqual({
    kind: collector.trim().toLowerCase(),
    pod: { namespace: 'apps', name: 'gotarget', nameKey: 'pod.name', container: 'app', port: 6060, scheme: 'http' },
  });
  expect(request.profileUrl.href).toBe('http://gotarget.apps.pod.invalid:6060/debug/pprof/goroutine');
});

test('job.pod.* and job.port name the target over the executor\'s pod; the context then names it too', () => {
  const request = parseRequest(
    { [KEYS.collector]: 'job', [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '5', [KEYS.jobPodNamespace]: 'kube-system', [KEYS.jobPodName]: 'coredns-1', [KEYS.jobPort]: '9153', ...executorPod },
    limits,
  );
  expect(request.collector).toEqual({ kind: 'job', pod: { namespace: 'kube-system', name: 'coredns-1', nameKey: KEYS.jobPodName, port: 9153, scheme: 'http' } });
  expect(request.profileUrl.href).toBe('http://coredns-1.kube-system.pod.invalid:9153/debug/pprof/profile?seconds=5');
  expect(request.context).toMatchObject({ podNamespace: 'kube-system', podName: 'coredns-1' });
});

test('with a Secret the pod is fetched over https, and the Secret defaults to the Job namespace', () => {
  const request = parseRequest({ [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.secretName]: 'pprof-token', ...executorPod }, limits);
  expect(request.profileUrl.protocol).toBe('https:');
  expect(request.secret).toEqual({ name: 'pprof-token', namespace: 'kubediag' });
});

test('host network: source on a node, from job.node or the executor\'s node', () => {
  const base = { [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.jobHostNetwork]: 'true', [KEYS.source]: 'https://127.0.0.1:10259', [KEYS.secretName]: 'scheduler-token' };
  const fromExecutor = parseRequest({ ...base, node: 'control-plane-1' }, limits);
  expect(fromExecutor.collector).toEqual({ kind: 'job', node: 'control-plane-1' });
  expect(fromExecutor.profileUrl.href).toBe('https://127.0.0.1:10259/debug/pprof/heap');
  expect(parseRequest({ ...base, [KEYS.jobHostNetwork]: true, [KEYS.jobNode]: 'cp-2', node: 'control-plane-1' }, limits).collector).toEqual({ kind: 'job', node: 'cp-2' });
});

test.each([
  ['unknown collector', { [KEYS.collector]: 'ssh', [KEYS.source]: 'http://h:1' }, KEYS.collector, /one of http, job, proxy/],
  ['job keys with the http collector', { [KEYS.source]: 'http://h:1', [KEYS.jobPodName]: 'p' }, KEYS.jobPodName, /only used by the job and proxy collectors/],
  ['job without any pod', { [KEYS.collector]: 'job' }, KEYS.jobPodName, /required by the job collector/],
  ['proxy without any pod', { [KEYS.collector]: 'proxy' }, KEYS.jobPodName, /required by the proxy collector/],
  ['a source with a pod target', { [KEYS.collector]: 'job', [KEYS.source]: 'http://h:1', ...executorPod }, KEYS.source, /job.host_network=true for a node-local URL/],
  ['a source with the proxy', { [KEYS.collector]: 'proxy', [KEYS.source]: 'http://h:1', ...executorPod }, KEYS.source, /not used by the proxy collector/],
  ['a Secret with the proxy', { [KEYS.collector]: 'proxy', [KEYS.secretName]: 's', ...executorPod }, KEYS.secretName, /keeps the Authorization header/],
  ['host network with the proxy', { [KEYS.collector]: 'proxy', [KEYS.jobHostNetwork]: 'true', ...executorPod }, KEYS.jobHostNetwork, /only used by the job collector/],
  ['host network without a source', { [KEYS.collector]: 'job', [KEYS.jobHostNetwork]: 'true', node: 'n' }, KEYS.source, /node-local URL/],
  ['host network without a node', { [KEYS.collector]: 'job', [KEYS.jobHostNetwork]: 'true', [KEYS.source]: 'http://127.0.0.1:1' }, KEYS.jobNode, /required with job.host_network=true/],
  ['host network with a pod', { [KEYS.collector]: 'job', [KEYS.jobHostNetwork]: 'true', [KEYS.source]: 'http://127.0.0.1:1', node: 'n', [KEYS.jobPodName]: 'p' }, KEYS.jobPodName, /not used with job.host_network=true/],
  ['job.node with a pod target', { [KEYS.collector]: 'job', [KEYS.jobNode]: 'n', ...executorPod }, KEYS.jobNode, /only used with job.host_network=true/],
  ['port 0', { [KEYS.collector]: 'job', [KEYS.jobPort]: 0, ...executorPod }, KEYS.jobPort, /port number from 1 to 65535/],
  ['port 65536', { [KEYS.collector]: 'job', [KEYS.jobPort]: '65536', ...executorPod }, KEYS.jobPort, /port number from 1 to 65535/],
  ['host_network yes', { [KEYS.collector]: 'job', [KEYS.jobHostNetwork]: 'yes', ...executorPod }, KEYS.jobHostNetwork, /true or false/],
  ['bad pod namespace', { [KEYS.collector]: 'job', [KEYS.jobPodName]: 'p', [KEYS.jobPodNamespace]: 'Apps' }, KEYS.jobPodNamespace, /namespace name/],
  ['a Secret outside the Job namespace', { [KEYS.collector]: 'job', [KEYS.secretName]: 's', [KEYS.secretNamespace]: 'apps', ...executorPod }, KEYS.secretNamespace, /Job runs in kubediag \(JOB_NAMESPACE\) and a pod can only mount a Secret of its own namespace/],
])('%s is a 400 naming the key', (_what, body, key, message) => {
  const found = problems({ [KEYS.type]: 'heap', ...body }).find((p) => p.key === key);
  expect(found?.message).toMatch(message);
});

test('collector problems come together with the schema\'s', () => {
  const keys = problems({ [KEYS.collector]: 'job', [KEYS.type]: 'nope', [KEYS.jobPort]: 'x' }).map((p) => p.key);
  expect(keys).toEqual(expect.arrayContaining([KEYS.type, KEYS.jobPort, KEYS.jobPodName]));
});

test('the pod URL the Job fetches: the pod IP, bracketed when it is IPv6', () => {
  const request = parseRequest({ [KEYS.collector]: 'job', [KEYS.type]: 'heap', ...executorPod }, limits);
  const pod = (request.collector as { pod: PodTarget }).pod;
  expect(podProfileUrl(request, pod, '10.244.1.17').href).toBe('http://10.244.1.17:6060/debug/pprof/heap');
  expect(podProfileUrl(request, pod, 'fd00:10:244::11').href).toBe('http://[fd00:10:244::11]:6060/debug/pprof/heap');
});
