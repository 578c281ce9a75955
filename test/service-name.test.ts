import type { V1Pod } from '@kubernetes/client-node';
import { serviceNameOf, serviceOfPod, withoutGeneratedSuffix } from '../src/acquire/kube/service-name';
import { KubeProvider } from '../src/acquire/kube/clients';

// The <service> of a stored profile's key, as the profiling operator names it (seeds/002): labels, then the owner,
// then the pod's name without what Kubernetes generated, then the source's host.
const pod = (labels: Record<string, string>, owner?: { kind: string; name: string }): V1Pod => ({
  metadata: { name: 'p', labels, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: 'u', controller: true }] : undefined },
});

test.each([
  [pod({ 'app.kubernetes.io/name': 'checkout', app: 'other', 'k8s-app': 'third' }), 'checkout'],
  [pod({ app: 'cart', 'k8s-app': 'third' }), 'cart'],
  [pod({ 'k8s-app': 'kube-dns' }), 'kube-dns'],
  [pod({ 'pod-template-hash': '7d4b9c8f6d' }, { kind: 'ReplicaSet', name: 'payments-7d4b9c8f6d' }), 'payments'],
  [pod({}, { kind: 'StatefulSet', name: 'ledger' }), 'ledger'],
  [pod({}, { kind: 'ReplicaSet', name: 'bare-rs' }), 'bare-rs'],
  [pod({}), undefined],
])('a pod %# is filed under %s', (given, expected) => {
  expect(serviceOfPod(given)).toBe(expected);
});

test.each([
  ['checkout-7d4b9c8f6d-x2x9q', 'checkout'],
  ['web-0', 'web'],
  ['node-agent-x2x9q', 'node-agent'],
  ['redis-cache', 'redis-cache'],
  ['gotarget', 'gotarget'],
])('the name %s without its generated suffix is %s', (name, expected) => {
  expect(withoutGeneratedSuffix(name)).toBe(expected);
});

test('no pod named: the source host; no cluster: the pod name alone decides', async () => {
  const none: KubeProvider = { configured: false, clients: () => { throw new Error('no cluster'); } };
  expect(await serviceNameOf(none, {}, '10.0.0.7')).toBe('10.0.0.7');
  expect(await serviceNameOf(none, { podNamespace: 'shop', podName: 'cart-6f5d7c9b8d-q2w4z' }, '10.0.0.7')).toBe('cart');
});

test('a cluster that does not answer in time does not hold the profile up: the name decides', async () => {
  const hanging = { configured: true, clients: () => ({ core: { readNamespacedPod: () => new Promise(() => {}) } }) } as unknown as KubeProvider;
  const started = Date.now();
  expect(await serviceNameOf(hanging, { podNamespace: 'shop', podName: 'web-1' }, 'x')).toBe('web');
  expect(Date.now() - started).toBeLessThan(5000);
});
