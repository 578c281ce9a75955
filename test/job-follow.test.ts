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
      const kind = path.endsWith('/jobs') ? 'jobs' : 'pods';
      const script = scripts[kind].shift();
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

test('a 403 on the watch is final, not retried', async () => {
  const forbidden = Object.assign(new Error('Forbidden'), { statusCode: 403 });
  const { clients, opened } = scriptedWatch({ jobs: [(_send, end) => end(forbidden)], pods: [() => undefined] });
  await expect(followJob(options(clients))).rejects.toThrow('watching /apis/batch/v1/namespaces/kubediag/jobs: the API server answered 403 (Forbidden)');
  expect(opened).toHaveLength(2);
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

  test('a Job failed for another reason than the deadline, with no pod to tell more', () => {
    const job = { spec: {}, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'm' }] } };
    expect(judge(job as never, undefined)).toEqual({ state: 'failed', reason: 'the Job failed: PodFailurePolicy: m' });
  });
});
