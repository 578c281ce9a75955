import { UpstreamError } from '../errors';
import { KubeProvider, describeKubeError } from './kube/clients';

export interface SecretReference {
  name: string;
  namespace: string;
}

/** What a Secret gives a fetch: the bearer token and, when present, the CA that signs the source's certificate. */
export interface Credentials {
  token: string;
  ca?: string;
}

export async function readCredentials(kube: KubeProvider, ref: SecretReference): Promise<Credentials> {
  const where = `Secret ${ref.namespace}/${ref.name}`;
  const { core } = kube.clients();
  let data: Record<string, string> | undefined;
  try {
    const secret = await core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace });
    data = secret.data;
  } catch (error) {
    const { code, message } = describeKubeError(error);
    const what = code === 404 ? 'not found' : code === 403 ? 'access forbidden' : 'could not be read';
    throw new UpstreamError(`reading ${where}: ${what}: ${message}`);
  }
  const token = decode(data?.token);
  if (!token) throw new UpstreamError(`reading ${where}: it has no key "token" (or it is empty)`);
  return { token: token.trim(), ca: decode(data?.['ca.crt']) };
}

function decode(base64: string | undefined): string | undefined {
  return base64 === undefined ? undefined : Buffer.from(base64, 'base64').toString('utf8');
}
