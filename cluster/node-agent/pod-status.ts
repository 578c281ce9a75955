/**
 * The pod status a kubelet writes, built from what the agent knows of one pod:
 * its phase, addresses, and the state of its (first) container. Conditions keep
 * their lastTransitionTime until their status really changes.
 */
import { createHash } from 'node:crypto';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
  containerID?: string;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: Terminated };

export interface PodView {
  phase: Phase;
  reason?: string;
  message?: string;
  hostIP: string;
  podIP?: string;
  startTime: string;
  container: { name: string; image: string; state: ContainerState; lastState?: ContainerState; restartCount: number; pid?: number };
}

// The conditions this agent owns; others (DisruptionTarget, a readiness gate's) are left as they are.
const OWN_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

export class PodStatusBuilder {
  private readonly transitions = new Map<string, { status: string; time: string }>();

  build(view: PodView, current: any[] = []): Record<string, unknown> {
    const { container } = view;
    const running = 'running' in container.state;
    const terminal = view.phase === 'Succeeded' || view.phase === 'Failed';
    const notReady = terminal && view.phase === 'Succeeded' ? { reason: 'PodCompleted' } : { reason: 'ContainersNotReady', message: `containers with unready status: [${container.name}]` };
    const conditions = [
      this.condition('PodReadyToStartContainers', !terminal && view.podIP !== undefined),
      this.condition('Initialized', true),
      this.condition('Ready', running, notReady),
      this.condition('ContainersReady', running, notReady),
      // Pods here are bound by nodeName (there is no scheduler): the kubelet sets PodScheduled itself then.
      this.condition('PodScheduled', true),
    ];
    return {
      phase: view.phase,
      ...(view.reason ? { reason: view.reason, message: view.message } : {}),
      conditions: [...conditions, ...current.filter((c) => !OWN_CONDITIONS.includes(c.type))],
      hostIP: view.hostIP,
      hostIPs: [{ ip: view.hostIP }],
      ...(view.podIP ? { podIP: view.podIP, podIPs: [{ ip: view.podIP }] } : {}),
      startTime: view.startTime,
      containerStatuses: [containerStatus(view.container, running)],
    };
  }

  private condition(type: string, ok: boolean, why: { reason: string; message?: string } = { reason: '' }) {
    const status = ok ? 'True' : 'False';
    const previous = this.transitions.get(type);
    const time = previous?.status === status ? previous.time : now();
    this.transitions.set(type, { status, time });
    return { type, status, lastProbeTime: null, lastTransitionTime: time, ...(ok || !why.reason ? {} : why) };
  }
}

function containerStatus(container: PodView['container'], running: boolean) {
  return {
    name: container.name,
    state: container.state,
    lastState: container.lastState ?? {},
    ready: running,
    restartCount: container.restartCount,
    image: container.image,
    // A container that never started has neither, as with a runtime.
    imageID: container.pid === undefined ? '' : imageID(container.image),
    ...(container.pid === undefined ? {} : { containerID: containerID(container.pid) }),
    started: running,
  };
}

export function containerID(pid: number): string {
  return `agent://${pid}`;
}

/** A digest that names the image, as a runtime reports the pulled image's. */
function imageID(image: string): string {
  return `${image}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/** Kubernetes' metav1.Time: RFC3339 in seconds. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
