import { KEYS } from '../src/parameters/schema';
import { JobCluster, startJobCluster, TARGET } from './support/job-cluster';

// The profile comes back damaged through the pod log. These faults belong to a kubelet's disk and log rotation,
// which the real cluster's node agent does not produce on demand, so this suite keeps the kube-apiserver stand-in
// (test/support/kube-api), whose kubelet can truncate, rotate or alter what it serves. Everything else on the
// node-Job path runs on the real control plane (job-collector and job-failures).
let c: JobCluster;

beforeAll(async () => {
  c = await startJobCluster();
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

afterEach(async () => {
  c.kube.kubelet.tamper = undefined;
  c.kube.kubelet.containerLogMaxSize = 10 * 1024 * 1024;
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
});

const heap = { [KEYS.collector]: 'job', [KEYS.type]: 'heap', 'pod.namespace': 'apps', 'pod.name': TARGET.name };

test('truncated', async () => {
  c.kube.kubelet.tamper = (log) => log.slice(0, -3);
  const answer = await c.profile(heap);
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/: reading the profile back from the log of pod kubediag\/\S+: the log is truncated: it ends after \d+ of \d+ bytes, with no end line$/);
});

test('rotated by the kubelet: its start is missing', async () => {
  c.kube.kubelet.containerLogMaxSize = 4096;
  const answer = await c.profile(heap);
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/: the log has no begin line: its start is missing \(was the container log rotated\?\)$/);
});

test('altered: the checksum does not match', async () => {
  c.kube.kubelet.tamper = (log) => log.map((line, i) => (i === 5 ? { ...line, text: `${line.text[0] === 'A' ? 'B' : 'A'}${line.text.slice(1)}` } : line));
  const answer = await c.profile(heap);
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/: the transfer is corrupt: the sha256 of what arrived does not match the begin line$/);
});
