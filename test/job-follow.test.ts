import type { KubeClients } from '../src/acquire/kube/clients';
import { followJob } from '../src/acquire/job/follow-job';
import { judge } from '../src/acquire/job/job-verdict';

// followJob's own edges, with a scripted watch in place of client-node's: a watch that ends is reopened, the
// deadline and the abort signal end the wait, and judge() reads the objects as the cluster writes them.
type Callback = (type: string, object: unknown) => void;
type Done = (error: unknown) => void;

/** Each watch call gets the next script for its path; a script sends events and may end the stream. */
function scriptedWatch(scripts: Record<string, Array<(send: Callback, end: Done) => void>>) {
  const opened: string[] = [];
  const watch = {
    watch: async (path: string, _query: unknown, send: Callback, end: Done) => {
      opened.push(path);
      const kind = path.split('/').pop() as string;
      const script = scripts[kind]?.shift();
      setImmediate(() => script?.(send, end));
      return new AbortController();
    },
  };
  return { clients: { watch } as unknown as KubeClients, opened };
}

const pod = (phase: string, extra: object = {}) => ({ metadata: { name: 'job-abcde' }, status: { phase, ...extra } });
const options = (clients: KubeClients, deadlineMs = 5000, signal = new AbortController().signal) => ({
  clients, namespace: 'kubediag', job: 'job', deadline: Date.now() + deadlineMs, signal,
});

test('a watch the server ends is opened again, and the pod seen there decides', async () => {
  const { clients, opened } = scriptedWatch({
    jobs: [() => undefined],
    pods: [(send, end) => { send('ADDED', pod('Pending')); end(null); }, (send) => send('ADDED', pod('Succeeded'))],
  });
  await expect(followJob(options(clients))).resolves.toEqual({ state: 'succeeded', pod: 'job-abcde' });
  expect(opened.filter((p) => p.endsWith('/pods'))).toHaveLength(2);
});

test('past the deadline: an error that says how the pod was last seen', async () => {
  const waiting = { containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] };
  const { clients } = scriptedWatch({ jobs: [() => undefined], pods: [(send) => send('ADDED', pod('Pending', waiting))] });
  await expect(followJob(options(clients, 300))).rejects.toThrow(/^no outcome within 1 s; the collector pod was Pending \(ContainerCreating\)$/);
});

test('an abort ends the wait with its reason', async () => {
  const { clients } = scriptedWatch({ jobs: [() => undefined], pods: [() => undefined] });
  const controller = new AbortController();
  const following = followJob(options(clients, 5000, controller.signal));
  controller.abort(new Error('shutting down'));
  await expect(following).rejects.toThrow('shutting down');
});

const forbidden = Object.assign(new Error('Forbidden'), { statusCode: 403 });
const refuse = (_send: Callback, end: Done) => end(forbidden);

test('a 403 on the watch that lasts 5 s is final', async () => {
  const { clients, opened } = scriptedWatch({ jobs: Array(30).fill(refuse), pods: [() => undefined] });
  const started = Date.now();
  await expect(followJob(options(clients, 20_000))).rejects.toThrow('watching /apis/batch/v1/namespaces/kubediag/jobs: the API server answered 403 (Forbidden)');
  expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
  expect(Date.now() - started).toBeLessThan(7000);
  expect(opened.filter((p) => p.endsWith('/jobs')).length).toBeGreaterThan(5);
});

test('a 403 that heals (an API server whose authorizer is still filling its caches) is retried', async () => {
  const later = (send: Callback) => setTimeout(() => send('ADDED', pod('Succeeded')), 1500);
  const { clients, opened } = scriptedWatch({ jobs: [refuse, refuse, () => undefined], pods: [later] });
  await expect(followJob(options(clients))).resolves.toEqual({ state: 'succeeded', pod: 'job-abcde' });
  expect(opened.filter((p) => p.endsWith('/jobs'))).toHaveLength(3);
});

test('a FailedCreate event of the Job (Pod Security admission) ends the wait with its message, at once', async () => {
  const event = { message: 'Error creating: pods "job-x" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true)' };
  const { clients } = scriptedWatch({ jobs: [() => undefined], pods: [() => undefined], events: [(send) => send('ADDED', event)] });
  await expect(followJob(options(clients))).rejects.toThrow(
    `the Job could not create its pod: ${event.message} (job.host_network needs a JOB_NAMESPACE whose Pod Security level allows host networking: pod-security.kubernetes.io/enforce=privileged)`,
  );
});

test('the Job deleted by someone else ends the wait at once', async () => {
  const { clients } = scriptedWatch({ jobs: [(send) => send('DELETED', { metadata: { name: 'job' } })], pods: [() => undefined] });
  await expect(followJob(options(clients))).rejects.toThrow('the Job was deleted by someone else before it finished');
});

test('without permission to watch events, the Job is still followed', async () => {
  const { clients } = scriptedWatch({ jobs: [() => undefined], pods: [(send) => send('ADDED', pod('Succeeded'))], events: Array(30).fill(refuse) });
  await expect(followJob(options(clients))).resolves.toEqual({ state: 'succeeded', pod: 'job-abcde' });
});

describe('judge', () => {
  test('a failed container is the collector\'s failure, with the termination message\'s last line', () => {
    const failed = pod('Failed', { containerStatuses: [{ state: { terminated: { exitCode: 1, reason: 'Error', message: 'a\ngo-profiler collect: error: x' } } }] });
    expect(judge(undefined, failed as never)).toEqual({ state: 'collector-failed', pod: 'job-abcde', detail: 'exit code 1 (Error): go-profiler collect: error: x' });
  });

  test('a pod the kubelet rejected before any container ran', () => {
    expect(judge(undefined, pod('Failed', { reason: 'OutOfcpu', message: 'Node didn\'t have enough resource: cpu' }) as never)).toEqual({
      state: 'failed', reason: 'the collector pod job-abcde failed: OutOfcpu: Node didn\'t have enough resource: cpu',
    });
  });

  test('ErrImagePull is given its one retry; ImagePullBackOff is final', () => {
    const pulling = (reason: string) => pod('Pending', { containerStatuses: [{ state: { waiting: { reason, message: 'm' } } }] });
    expect(judge(undefined, pulling('ErrImagePull') as never)).toEqual({ state: 'running' });
    expect(judge(undefined, pulling('ImagePullBackOff') as never)).toEqual({ state: 'failed', reason: 'the collector pod job-abcde cannot start: ImagePullBackOff: m' });
  });

  test('a pod that failed because it was deleted waits for the Job\'s own verdict', () => {
    const killed = { ...pod('Failed', { containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }] }), metadata: { name: 'job-abcde', deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(judge(undefined, killed as never)).toEqual({ state: 'running' });
    const deadline = { spec: { activeDeadlineSeconds: 2 }, status: { conditions: [{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded' }] } };
    expect(judge(deadline as never, killed as never)).toEqual({ state: 'failed', reason: 'the Job ran longer than its activeDeadlineSeconds (2 s) while its pod was Failed' });
  });

  test('a Job failed for another reason than the deadline, with no pod to tell more', () => {
    const job = { spec: {}, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'm' }] } };
    expect(judge(job as never, undefined)).toEqual({ state: 'failed', reason: 'the Job failed: PodFailurePolicy: m' });
  });
});
