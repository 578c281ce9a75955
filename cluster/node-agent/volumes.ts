/**
 * A pod's volumes as folders under its own directory, one per volume: the files
 * a kubelet's volume plugins would mount (secret, configMap, downwardAPI,
 * projected with serviceAccountToken, emptyDir; hostPath is this machine's
 * path itself). Keys, items, paths and modes follow the API's rules; what is
 * missing and not optional fails with the kubelet's message, and the caller
 * retries as the kubelet's volume manager does.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fieldValue, type PodAddresses } from './downward-api';
import { MissingObjectError, type KeyValues, type PodObjects } from './pod-objects';

const DEFAULT_MODE = 0o644;

/** One file of a volume: its path inside the volume, its bytes and mode. */
interface VolumeFile {
  path: string;
  data: Buffer;
  mode: number;
}

/** A volume that cannot be set up (yet); message reads as the kubelet's FailedMount event. */
export class VolumeError extends Error {
  constructor(readonly volume: string, reason: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${reason}`);
  }
}

/** Materialises every volume of the pod under root; volume name -> folder. */
export async function materialiseVolumes(pod: any, objects: PodObjects, addresses: PodAddresses, root: string): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.hostPath) {
      folders.set(volume.name, volume.hostPath.path);
      continue;
    }
    let files: VolumeFile[];
    try {
      files = await volumeFiles(volume, pod, objects, addresses);
    } catch (error) {
      throw new VolumeError(volume.name, (error as Error).message);
    }
    const folder = path.join(root, volume.name);
    await mkdir(folder, { recursive: true });
    for (const file of files) {
      const target = path.join(folder, file.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, file.data);
      // Exactly the mode asked for: writeFile's mode would be masked by the umask.
      await chmod(target, file.mode);
    }
    folders.set(volume.name, folder);
  }
  return folders;
}

async function volumeFiles(volume: any, pod: any, objects: PodObjects, addresses: PodAddresses): Promise<VolumeFile[]> {
  if (volume.emptyDir) return [];
  if (volume.secret) {
    const { secretName, items, optional, defaultMode } = volume.secret;
    return keyFiles(await objects.secret(secretName, optional === true), items, optional, defaultMode, 'secret');
  }
  if (volume.configMap) {
    const { name, items, optional, defaultMode } = volume.configMap;
    return keyFiles(await objects.configMap(name, optional === true), items, optional, defaultMode, 'configmap');
  }
  if (volume.downwardAPI) return downwardFiles(volume.downwardAPI.items, volume.downwardAPI.defaultMode, pod, addresses);
  if (volume.projected) return projectedFiles(volume.projected, pod, objects, addresses);
  const kind = Object.keys(volume).find((key) => key !== 'name');
  throw new Error(`volume type ${kind} is not supported by the node agent`);
}

async function projectedFiles(projected: any, pod: any, objects: PodObjects, addresses: PodAddresses): Promise<VolumeFile[]> {
  const mode = projected.defaultMode ?? DEFAULT_MODE;
  const files: VolumeFile[] = [];
  for (const source of projected.sources ?? []) {
    if (source.secret) {
      const { name, items, optional } = source.secret;
      files.push(...keyFiles(await objects.secret(name, optional === true), items, optional, mode, 'secret'));
    } else if (source.configMap) {
      const { name, items, optional } = source.configMap;
      files.push(...keyFiles(await objects.configMap(name, optional === true), items, optional, mode, 'configmap'));
    } else if (source.downwardAPI) {
      files.push(...downwardFiles(source.downwardAPI.items, mode, pod, addresses));
    } else if (source.serviceAccountToken) {
      const { audience, expirationSeconds, path: file } = source.serviceAccountToken;
      files.push({ path: file, data: Buffer.from(await objects.token(audience, expirationSeconds)), mode });
    } else {
      throw new Error(`projected source ${Object.keys(source).join(',')} is not supported by the node agent`);
    }
  }
  return files;
}

/** Secret/ConfigMap keys as files: all keys, or only the items listed (each at its path, with its mode). */
function keyFiles(values: KeyValues | undefined, items: any[] | undefined, optional: boolean | undefined, defaultMode: number | undefined, kind: string): VolumeFile[] {
  const mode = defaultMode ?? DEFAULT_MODE;
  if (!values) return [];
  if (!items?.length) return [...values].map(([key, data]) => ({ path: key, data, mode }));
  const files: VolumeFile[] = [];
  for (const item of items) {
    const data = values.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new MissingObjectError(`${kind === 'secret' ? '' : 'configmap '}references non-existent ${kind === 'secret' ? 'secret' : 'config'} key: ${item.key}`);
    }
    files.push({ path: item.path, data, mode: item.mode ?? mode });
  }
  return files;
}

function downwardFiles(items: any[] | undefined, defaultMode: number | undefined, pod: any, addresses: PodAddresses): VolumeFile[] {
  return (items ?? []).map((item) => {
    if (!item.fieldRef) throw new Error(`downwardAPI item ${item.path}: only fieldRef is supported by the node agent`);
    return { path: item.path, data: Buffer.from(fieldValue(pod, item.fieldRef.fieldPath, addresses)), mode: item.mode ?? defaultMode ?? DEFAULT_MODE };
  });
}
