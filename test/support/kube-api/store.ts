/**
 * In-memory object store standing in for etcd behind kube-apiserver: it sets
 * the server-owned metadata (uid, resourceVersion, creationTimestamp), keeps
 * one resourceVersion counter for all objects, lists in key order
 * (namespace, then name), hands out copies, and emits watch-shaped events
 * ({type: ADDED|MODIFIED|DELETED, object}), of which it keeps the latest as
 * the watch cache a `?watch=true&resourceVersion=N` request replays from.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { apiVersionOf, typeKey, type ResourceType } from './resources';
import { alreadyExists, invalid, notFound } from './status';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** What create() takes: kind/apiVersion come from the resource type. */
export interface ObjectInput {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: KubeObject;
}

// Secrets, Pods and Jobs all use the DNS-1123 subdomain rule for names.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How many events the watch cache keeps (kube-apiserver sizes its per-resource cache similarly, by count). */
const HISTORY_EVENTS = 1000;

export class ObjectStore {
  /** Subscribe with `store.events.on('change', (e: StoreEvent) => ...)`. */
  readonly events = new EventEmitter().setMaxListeners(0); // every open watch listens
  /** The latest events, oldest first: what a watch from a resourceVersion replays. */
  readonly history: StoreEvent[] = [];
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private revision = 1000;

  get resourceVersion(): string {
    return String(this.revision);
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type.group, type.version, type.resource);
    let b = this.objects.get(key);
    if (!b) this.objects.set(key, (b = new Map()));
    return b;
  }

  private static key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  private emit(type: StoreEvent['type'], resource: ResourceType, object: KubeObject): void {
    const event: StoreEvent = { type, resource, object: structuredClone(object) };
    this.history.push(event);
    if (this.history.length > HISTORY_EVENTS) this.history.shift();
    this.events.emit('change', event);
  }

  /**
   * Stores a new object; throws a StatusError (422 Invalid, 409 AlreadyExists) as the server would answer.
   * `prepare` is the resource's create strategy (defaults that need the uid), run before the object is stored.
   */
  create(type: ResourceType, input: ObjectInput, prepare?: (obj: KubeObject) => void): KubeObject {
    const name = input.metadata?.name ?? '';
    const gk = { group: type.group, kind: type.kind };
    if (!name) throw invalid(gk, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
    if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      throw invalid(gk, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${DNS1123_SUBDOMAIN_MSG}`, field: 'metadata.name' }]);
    }
    const namespace = type.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
    const bucket = this.bucket(type);
    if (bucket.has(ObjectStore.key(namespace, name))) throw alreadyExists(type, name);

    // Server-owned fields are overwritten, whatever the input says; key order follows the Go structs.
    const { apiVersion: _a, kind: _k, metadata, ...rest } = structuredClone(input);
    const { name: _n, namespace: _ns, uid: _u, resourceVersion: _rv, creationTimestamp: _ct, ...userMeta } = metadata;
    const obj: KubeObject = {
      kind: type.kind,
      apiVersion: apiVersionOf(type),
      metadata: {
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: String(++this.revision),
        creationTimestamp: now(),
        ...userMeta,
      },
      ...rest,
    };
    prepare?.(obj);
    bucket.set(ObjectStore.key(namespace, name), obj);
    this.emit('ADDED', type, obj);
    return structuredClone(obj);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.bucket(type).get(ObjectStore.key(namespace, name));
    return obj && structuredClone(obj);
  }

  /** Objects of a type, in one namespace or (namespace undefined) all, in etcd key order. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    return [...this.bucket(type).entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o));
  }

  /** Replaces an existing object's content (tests use it to move a Pod along); bumps resourceVersion. */
  update(type: ResourceType, next: KubeObject): KubeObject {
    const key = ObjectStore.key(next.metadata.namespace, next.metadata.name);
    const current = this.bucket(type).get(key);
    if (!current) throw notFound(type, next.metadata.name);
    const obj: KubeObject = {
      ...structuredClone(next),
      kind: current.kind,
      apiVersion: current.apiVersion,
      metadata: {
        ...structuredClone(next.metadata),
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: String(++this.revision),
      },
    };
    this.bucket(type).set(key, obj);
    this.emit('MODIFIED', type, obj);
    return structuredClone(obj);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const key = ObjectStore.key(namespace, name);
    const current = this.bucket(type).get(key);
    if (!current) throw notFound(type, name);
    this.bucket(type).delete(key);
    const gone = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.revision) } };
    this.emit('DELETED', type, gone);
    return structuredClone(gone);
  }
}
