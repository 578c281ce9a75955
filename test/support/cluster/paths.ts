import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Set by the global setup: the path of the shared cluster's cluster.json. */
export const CLUSTER_ENV = 'GO_PROFILER_TEST_CLUSTER';
export const CLUSTER_LOG = path.join(REPO_ROOT, 'test-output', 'cluster.log');
/** The image the test cluster's nodes run this checkout's collector for: what the service's COLLECTOR_IMAGE names. */
export const COLLECTOR_IMAGE = 'registry.example/kubediag/go-profiler:test';
