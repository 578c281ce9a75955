/**
 * A container's environment, made as the kubelet's makeEnvironmentVariables
 * makes it: envFrom first, then env in order, each `value` expanded against
 * the variables defined before it. A missing Secret, ConfigMap or key that is
 * not optional fails with the kubelet's message (the pod then waits in
 * CreateContainerConfigError).
 */
import { fieldValue, type PodAddresses } from './downward-api';
import { expand } from './expansion';
import { MissingObjectError, type KeyValues, type PodObjects } from './pod-objects';

interface Source {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  optional: boolean;
}

export async function containerEnv(pod: any, container: any, objects: PodObjects, addresses: PodAddresses): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  const cache = new Map<string, Promise<KeyValues | undefined>>();
  const read = (source: Source) => {
    const key = `${source.kind}/${source.name}`;
    if (!cache.has(key)) {
      cache.set(key, source.kind === 'Secret' ? objects.secret(source.name) : objects.configMap(source.name));
    }
    return cache.get(key) as Promise<KeyValues | undefined>;
  };
  const readOrSkip = async (source: Source) => {
    try {
      return await read(source);
    } catch (error) {
      if (error instanceof MissingObjectError && source.optional) return undefined;
      throw error;
    }
  };

  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    const values = await readOrSkip({ kind: from.secretRef ? 'Secret' : 'ConfigMap', name: ref.name, optional: ref.optional === true });
    for (const [key, value] of values ?? []) vars.set(`${from.prefix ?? ''}${key}`, value.toString('utf8'));
  }
  for (const env of container.env ?? []) {
    if (env.valueFrom === undefined) {
      vars.set(env.name, expand(env.value ?? '', vars));
      continue;
    }
    const { fieldRef, secretKeyRef, configMapKeyRef } = env.valueFrom;
    if (fieldRef) {
      vars.set(env.name, fieldValue(pod, fieldRef.fieldPath, addresses));
      continue;
    }
    const ref = secretKeyRef ?? configMapKeyRef;
    if (!ref) throw new Error(`env ${env.name}: only fieldRef, secretKeyRef and configMapKeyRef are supported by the node agent`);
    const source: Source = { kind: secretKeyRef ? 'Secret' : 'ConfigMap', name: ref.name, optional: ref.optional === true };
    const value = (await readOrSkip(source))?.get(ref.key);
    if (value !== undefined) vars.set(env.name, value.toString('utf8'));
    else if (!source.optional) throw new MissingObjectError(`couldn't find key ${ref.key} in ${source.kind} ${pod.metadata.namespace}/${ref.name}`);
  }
  return vars;
}
