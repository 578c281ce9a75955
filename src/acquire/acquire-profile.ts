import { ProfileRequest } from '../parameters/parse';
import { AddressPolicy } from './address-policy';
import { fetchProfile } from './fetch-profile';
import { KubeProvider } from './kube/clients';
import { readCredentials } from './secret-credentials';

export interface AcquireOptions {
  kube: KubeProvider;
  fetchTimeoutSeconds: number;
  maxProfileBytes: number;
  policy: AddressPolicy;
  secretNamespaces: string[];
}

export interface AcquiredProfile {
  bytes: Buffer;
  contentType: string;
  url: URL;
}

/** Obtains the raw profile bytes for a request over HTTP(S), with the Secret's token and CA when one is named. */
export async function acquireProfile(request: ProfileRequest, options: AcquireOptions): Promise<AcquiredProfile> {
  const credentials = request.secret ? await readCredentials(options.kube, request.secret, options.secretNamespaces) : undefined;
  // A CPU profile takes duration_seconds to produce before the first byte comes back.
  const seconds = options.fetchTimeoutSeconds + (request.type === 'Profile' ? request.durationSeconds : 0);
  return fetchProfile(request.profileUrl, {
    token: credentials?.token,
    ca: credentials?.ca,
    timeoutMs: seconds * 1000,
    maxBytes: options.maxProfileBytes,
    policy: options.policy,
  });
}
