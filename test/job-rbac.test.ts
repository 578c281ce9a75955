import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { KEYS } from '../src/parameters/schema';
import { JOB_NAMESPACE, JobCluster, startJobCluster, TARGET } from './support/job-cluster';
import { dependentsOf, JOBS, PODS, type RbacRule } from './support/kube-api';
import { schemaErrors } from './support/kube-api/openapi';

// deploy/rbac/ grants exactly what the Job and proxy paths call: the stand-in's authorizer is given those rules and
// nothing else, and the paths work; take any used permission away and the answer names it.
const RBAC = path.join(__dirname, '..', 'deploy', 'rbac');
type RbacObject = { kind: string; metadata: { name: string }; rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
const read = (file: string) => yaml.loadAll(fs.readFileSync(path.join(RBAC, file), 'utf8')) as RbacObject[];
const SCHEMA: Record<string, string> = {
  Role: 'IoK8sApiRbacV1Role', RoleBinding: 'IoK8sApiRbacV1RoleBinding', ClusterRole: 'IoK8sApiRbacV1ClusterRole', ClusterRoleBinding: 'IoK8sApiRbacV1ClusterRoleBinding',
};

/** A Role's rules apply in the Job namespace (where the RoleBinding puts them); a ClusterRole's everywhere. */
function grants(objects: RbacObject[]): RbacRule[] {
  return objects.flatMap((o) =>
    (o.rules ?? []).flatMap((rule) =>
      rule.apiGroups.flatMap((apiGroup) =>
        rule.resources.flatMap((resource) =>
          rule.verbs.map((verb) => ({ verb, resource, apiGroup, ...(o.kind === 'Role' ? { namespace: JOB_NAMESPACE } : {}) })),
        ),
      ),
    ),
  );
}

const jobCollector = read('job-collector.yaml');
const podsProxy = read('pods-proxy.yaml');
let c: JobCluster;

beforeAll(async () => {
  c = await startJobCluster();
}, 120_000);

afterAll(async () => {
  c.kube.setRbac(null);
  await c?.stop();
});

const heapByJob = { [KEYS.collector]: 'job', [KEYS.type]: 'heap', 'pod.namespace': TARGET.namespace, 'pod.name': TARGET.name };
const heapByProxy = { ...heapByJob, [KEYS.collector]: 'proxy' };

test('every object is valid by the Kubernetes schema; the kustomization leaves the proxy grant out', () => {
  for (const object of [...jobCollector, ...podsProxy]) expect(schemaErrors(SCHEMA[object.kind], object)).toEqual([]);
  expect((yaml.load(fs.readFileSync(path.join(RBAC, 'kustomization.yaml'), 'utf8')) as { resources: string[] }).resources).toEqual(['job-collector.yaml']);
});

test('the grants are exactly the issue\'s list', () => {
  const text = (rules: RbacRule[]) => rules.map((r) => `${r.namespace ? 'ns' : 'cluster'} ${r.apiGroup || 'core'}/${r.resource} ${r.verb}`).sort();
  expect(text(grants(jobCollector))).toEqual(
    [
      'ns batch/jobs create', 'ns batch/jobs get', 'ns batch/jobs list', 'ns batch/jobs watch', 'ns batch/jobs delete',
      'ns core/pods get', 'ns core/pods list', 'ns core/pods watch', 'ns core/pods/log get', 'cluster core/pods get',
    ].sort(),
  );
  expect(text(grants(podsProxy))).toEqual(['cluster core/pods/proxy get']);
});

test('with job-collector.yaml alone: the Job path works and leaves nothing; the proxy path is refused, naming the grant', async () => {
  c.kube.setRbac(grants(jobCollector));
  expect((await c.profile(heapByJob)).status).toBe(200);
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
  const proxy = await c.profile(heapByProxy);
  expect(proxy.status).toBe(500);
  expect(proxy.json().error).toMatch(/cannot get resource "pods\/proxy".*deploy\/rbac\/pods-proxy\.yaml/);
});

test('with pods-proxy.yaml added: the proxy path works', async () => {
  c.kube.setRbac([...grants(jobCollector), ...grants(podsProxy)]);
  expect((await c.profile(heapByProxy)).status).toBe(200);
});

test.each([
  ['batch/jobs create', /cannot create resource "jobs".*\(the service account needs jobs create in kubediag/],
  ['batch/jobs watch', /watching \/apis\/batch\/v1\/namespaces\/kubediag\/jobs: the API server answered 403/],
  ['core/pods watch', /watching \/api\/v1\/namespaces\/kubediag\/pods: the API server answered 403/],
  ['core/pods/log get', /cannot get resource "pods\/log".*\(the service account needs pods\/log get in the Job namespace\)/],
  ['core/pods get', /reading pod apps\/gotarget: pods "gotarget" is forbidden: .* cannot get resource "pods" in API group "" in the namespace "apps" \(the service account needs pods get at the cluster scope: deploy\/rbac\/job-collector\.yaml\)$/],
])('without %s the answer names what is missing', async (grant, message) => {
  const [group, ...rest] = grant.split('/');
  const [resource, verb] = rest.join('/').split(' ');
  const apiGroup = group === 'core' ? '' : group;
  c.kube.setRbac(grants(jobCollector).filter((r) => !(r.apiGroup === apiGroup && r.resource === resource && r.verb === verb)));
  const answer = await c.profile(heapByJob);
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(message);
  c.kube.setRbac(null);
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
});

test('without jobs delete the profile is served but the Job stays: the log says so, and the TTL is the backstop', async () => {
  c.kube.setRbac(grants(jobCollector).filter((r) => !(r.resource === 'jobs' && r.verb === 'delete')));
  expect((await c.profile(heapByJob)).status).toBe(200);
  expect(c.svc.logs().some((l) => l.msg === 'deleting the collector Job failed; ttlSecondsAfterFinished removes it once it ends')).toBe(true);
  c.kube.setRbac(null);
  expect((await c.nothingLeft()).jobs).toHaveLength(1);
  // Clean up as the TTL controller would, later.
  for (const job of c.kube.store.list(JOBS)) {
    for (const pod of dependentsOf(c.kube.store, JOB_NAMESPACE, job.metadata.uid as string)) c.kube.store.delete(PODS, JOB_NAMESPACE, pod.metadata.name);
    c.kube.store.delete(JOBS, JOB_NAMESPACE, job.metadata.name);
  }
});
