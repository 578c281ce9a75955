/**
 * What a pod's containers are made from besides the pod itself: its Secrets,
 * ConfigMaps and service account tokens, read as the kubelet reads them, one
 * object at a time. The Node authorizer lets a node get exactly the objects its
 * pods reference, and learns of a new pod from its own informer, so right after
 * a pod is created the answer may briefly be 403: that is retried.
 */
import { ApiClient, ApiError } from './api-client';

const FORBIDDEN_RETRIES = 10;
const FORBIDDEN_RETRY_MS = 500;

/** A referenced object the pod cannot start without; the message is the kubelet's. */
export class MissingObjectError extends Error {}

export type KeyValues = Map<string, Buffer>;

export class PodObjects {
  constructor(private readonly api: ApiClient, private readonly pod: any) {}

  /** The Secret's data, undefined when it is missing and optional. */
  secret(name: string, optional = false): Promise<KeyValues | undefined> {
    return this.read('secret', name, optional, (secret) => decoded(secret.data));
  }

  configMap(name: string, optional = false): Promise<KeyValues | undefined> {
    return this.read('configmap', name, optional, (configMap) => {
      const values = decoded(configMap.binaryData);
      for (const [key, value] of Object.entries((configMap.data ?? {}) as Record<string, string>)) values.set(key, Buffer.from(value));
      return values;
    });
  }

  /** A bound token from the TokenRequest API: bound to this pod, so it dies with it (NodeRestriction allows no other). */
  async token(audience: string | undefined, expirationSeconds = 3600): Promise<string> {
    const { namespace } = this.pod.metadata;
    const serviceAccount = this.pod.spec.serviceAccountName ?? 'default';
    const request = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        // No audience: the API server's own, as the kubelet sends none.
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.pod.metadata.name, uid: this.pod.metadata.uid },
      },
    };
    const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`;
    const answer = await this.retryForbidden(() => this.api.request('POST', path, request));
    return answer.status.token as string;
  }

  private async read(kind: string, name: string, optional: boolean, values: (object: any) => KeyValues): Promise<KeyValues | undefined> {
    const path = `/api/v1/namespaces/${this.pod.metadata.namespace}/${kind}s/${name}`;
    try {
      return values(await this.retryForbidden(() => this.api.request('GET', path)));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      if (optional) return undefined;
      // The kubelet's object cache says it in the singular: secret "x" not found.
      throw new MissingObjectError(`${kind} "${name}" not found`);
    }
  }

  private async retryForbidden<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 403 || attempt >= FORBIDDEN_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, FORBIDDEN_RETRY_MS));
      }
    }
  }
}

function decoded(data: Record<string, string> | undefined): KeyValues {
  return new Map(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
}
