import { InputError, UpstreamError } from '../errors';
import { KEYS } from '../parameters/schema';
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

/** Reads a Secret's token and CA; only from the namespaces the configuration allows (["*"]: any). */
export async function readCredentials(kube: KubeProvider, ref: SecretReference, allowedNamespaces: string[] = ['*']): Promise<Credentials> {
  const where = `Secret ${ref.namespace}/${ref.name}`;
  if (!allowedNamespaces.includes('*') && !allowedNamespaces.includes(ref.namespace)) {
    throw new InputError(`reading ${where}: Secrets may only be read from ${allowedNamespaces.join(', ')} (SECRET_NAMESPACES)`, [
      { key: KEYS.secretNamespace, message: `must be one of ${allowedNamespaces.join(', ')}` },
    ]);
  }
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
