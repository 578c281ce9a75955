/**
 * Everything before a container's process starts, in the kubelet's order: the
 * image (only `local` and the collector's exist: any other fails to pull, and
 * the pod stays Pending in ImagePullBackOff), the volumes, then the
 * environment. Each step that waits for a missing object reports why and is
 * retried by the worker (`retry`), as the kubelet's pod worker retries a sync.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client';
import { containerEnv } from './container-env';
import { imageKind, type ContainerContext, type ImageRuntime } from './container-spec';
import type { PodAddresses } from './downward-api';
import { pullBackOffMessage, pullErrorMessage } from './image-pull';
import { PodObjects } from './pod-objects';
import type { EventType } from './pod-events';
import { materialiseVolumes } from './volumes';

const PULL_MS = 200;
const PULL_BACKOFF_MS = 1500;

export interface SetupOptions {
  api: ApiClient;
  collectorImage: string;
  runtime: ImageRuntime;
  addresses: PodAddresses;
  /** The pod's own folder: volumes/ and home/ are made in it. */
  dir: string;
  signal: AbortSignal;
  event(type: EventType, reason: string, message: string): void;
  /** The container waits: reason, message, and whether the kubelet's `Error: <reason>` Event goes with it. */
  waiting(reason: string, message: string, failed: boolean): Promise<void>;
  /** Runs step until it succeeds, waiting with reason (and an Event of eventReason) after each failure. */
  retry<T>(reason: string, eventReason: string, step: () => Promise<T>): Promise<T>;
}

/** What the container's process is made from; undefined when its image cannot be pulled. */
export async function setUpContainer(pod: any, options: SetupOptions): Promise<ContainerContext | undefined> {
  const { signal, event } = options;
  const container = pod.spec.containers[0];
  const kind = imageKind(container.image, options.collectorImage);
  if (kind === 'unavailable') {
    event('Normal', 'Pulling', `Pulling image "${container.image}"`);
    await sleep(PULL_MS, undefined, { signal });
    event('Warning', 'Failed', `Failed to pull image "${container.image}": ${pullErrorMessage(container.image)}`);
    await options.waiting('ErrImagePull', pullErrorMessage(container.image), true);
    await sleep(PULL_BACKOFF_MS, undefined, { signal });
    event('Normal', 'BackOff', pullBackOffMessage(container.image));
    await options.waiting('ImagePullBackOff', pullBackOffMessage(container.image), true);
    return undefined;
  }
  const objects = new PodObjects(options.api, pod);
  const volumes = path.join(options.dir, 'volumes');
  const folders = await options.retry('ContainerCreating', 'FailedMount', () => materialiseVolumes(pod, objects, options.addresses, volumes));
  const env = await options.retry('CreateContainerConfigError', 'Failed', () => containerEnv(pod, container, objects, options.addresses));
  event('Normal', 'Pulled', `Container image "${container.image}" already present on machine`);
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const folder = folders.get(mount.name);
    if (folder) mounts.set(mount.mountPath, path.join(folder, mount.subPath ?? ''));
  }
  return {
    kind,
    runtime: options.runtime,
    env,
    mounts,
    home: path.join(options.dir, 'home'),
    // As a runtime sets HOSTNAME: the pod's name, or the node's on the host network.
    hostname: pod.spec.hostNetwork ? pod.spec.nodeName : pod.metadata.name,
  };
}
