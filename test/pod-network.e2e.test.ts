import { startGoTargetPod } from './support/cluster/go-target-pod';
import { testCluster } from './support/cluster/test-cluster';

// The node agent's pod network (cluster/pod-network.ts) after a node's pods have all gone: the kernel drops a
// device's routes with its last IPv4 address, and a pod started there afterwards must still answer (it did not:
// workload suites that delete every pod of node-b left the next suites' pods there unreachable).
const NS = 'net-test';
const NODE = 'node-b';
/** A pod that cannot answer makes the connection hang: fail in seconds instead. */
const status = async (url: string) => (await fetch(`${url}/debug/pprof/`, { signal: AbortSignal.timeout(10_000) })).status;

test('a pod started on a node whose pods were all deleted answers at its pod IP', async () => {
  const cluster = await testCluster();
  await cluster.namespace(NS, {});
  const onNode = async () =>
    (await cluster.getJson(['-n', NS, 'get', 'pods', `--field-selector=spec.nodeName=${NODE}`])).items.map((p: { metadata: { name: string } }) => p.metadata.name) as string[];
  const first = await startGoTargetPod(cluster, { namespace: NS, name: 'net-first', node: NODE, cpuDuty: 10 });
  expect(await status(first.url)).toBe(200);
  // Every pod of the node goes, so that its network loses its last pod address.
  for (const name of await onNode()) await cluster.kubectl(['-n', NS, 'delete', 'pod', name, '--timeout=60s']);
  expect(await onNode()).toEqual([]);
  const second = await startGoTargetPod(cluster, { namespace: NS, name: 'net-second', node: NODE, cpuDuty: 10 });
  try {
    expect(second.ip).not.toBe(first.ip);
    expect(await status(second.url)).toBe(200);
  } finally {
    await cluster.kubectl(['-n', NS, 'delete', 'pod', 'net-second', '--ignore-not-found', '--timeout=60s']);
  }
}, 120_000);
