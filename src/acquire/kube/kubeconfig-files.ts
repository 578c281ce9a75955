import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { loadClientNode, loadClientNodeYaml } from './client-node';

/*
 * kubeconfig files read as kubectl reads them (client-go, tools/clientcmd/loader.go, ClientConfigLoadingRules):
 * - NewDefaultClientConfigLoadingRules: when KUBECONFIG is non-empty, the precedence list is its paths
 *   (filepath.SplitList, duplicates dropped) and nothing else: ~/.kube/config is not read then. When KUBECONFIG is
 *   unset or empty, the list is ~/.kube/config alone.
 * - Load: an empty name is skipped; a file that does not exist (os.IsNotExist) is skipped (with KUBECONFIG set and
 *   every file missing it warns "Config not found: ..."); any other read error, or content that does not decode
 *   as a Config, is an error naming the file ("error loading config file ..."). Empty content is an empty Config.
 * - Merge: the first file to define a cluster, user or context name wins, whole: a later entry of the same name
 *   is discarded, even the fields the first one lacks. The first file to set current-context wins.
 * - Relative paths in an entry resolve against the directory of the file that defined it (ResolveLocalPaths).
 * - No file read means an empty Config; DeferredLoadingClientConfig then uses the in-cluster config when it is
 *   possible (clients.ts does that step).
 * client-node's loadFromDefault differs on each point that matters here: it throws ENOENT on a missing file,
 * throws "Duplicate cluster" on a name two files define, and lets the last file's current-context win
 * (mergeConfig). So the files are read one by one with its loadFromString and merged here.
 */

/** The files to read and where the list came from, for messages. */
export interface KubeconfigSearch {
  variable: 'KUBECONFIG' | '~/.kube/config';
  paths: string[];
}

export interface KubeconfigFiles {
  /** The files that existed and were read, in precedence order. */
  read: string[];
  /** The files that did not exist and were skipped. */
  missing: string[];
  /** The merge of the files read; empty when none was. */
  config: KubeConfig;
}

export function kubeconfigSearch(env: NodeJS.ProcessEnv): KubeconfigSearch {
  if (env.KUBECONFIG) return { variable: 'KUBECONFIG', paths: [...new Set(env.KUBECONFIG.split(path.delimiter).filter(Boolean))] };
  return { variable: '~/.kube/config', paths: [path.join(env.HOME || os.homedir(), '.kube', 'config')] };
}

/** Reads the search's files; throws, naming the file, on one that exists but is not a kubeconfig. */
export function readKubeconfigFiles(search: KubeconfigSearch): KubeconfigFiles {
  const read: string[] = [];
  const missing: string[] = [];
  const configs: KubeConfig[] = [];
  for (const file of search.paths) {
    const config = readFile(search.variable, file);
    if (config === undefined) {
      missing.push(file);
    } else {
      read.push(file);
      configs.push(config);
    }
  }
  return { read, missing, config: mergeFirstWins(configs) };
}

/** undefined: the file does not exist. */
function readFile(variable: string, file: string): KubeConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(variable, file, error);
  }
  try {
    return decode(text, path.resolve(path.dirname(file)));
  } catch (error) {
    throw unreadable(variable, file, error);
  }
}

function decode(text: string, directory: string): KubeConfig {
  const kc = new (loadClientNode().KubeConfig)();
  const document = loadClientNodeYaml().load(text);
  // Empty, or comments only: an empty Config, as client-go's Load has it (loadFromString would throw a TypeError).
  if (document === undefined || document === null) return kc;
  checkShape(document);
  kc.loadFromString(text);
  kc.makePathsAbsolute(directory);
  return kc;
}

/** What loadFromString would silently read as an empty config: client-go refuses it. */
function checkShape(document: unknown): void {
  if (typeof document !== 'object' || Array.isArray(document)) throw new Error('it is not a YAML mapping');
  const config = document as Record<string, unknown>;
  if (config.kind !== undefined && config.kind !== 'Config') throw new Error(`its kind is ${JSON.stringify(config.kind)}, not "Config"`);
  for (const key of ['clusters', 'users', 'contexts']) {
    if (config[key] !== undefined && config[key] !== null && !Array.isArray(config[key])) throw new Error(`${key} is not a list`);
  }
  const current = config['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') throw new Error('current-context is not a string');
}

function unreadable(variable: string, file: string, error: unknown): Error {
  // First line only: js-yaml appends a snippet of the file, which may hold a token.
  const reason = String((error as { message?: unknown } | undefined)?.message ?? error).split('\n')[0];
  return new Error(`${variable}: ${file} cannot be read as a kubeconfig: ${reason}`);
}

function mergeFirstWins(configs: KubeConfig[]): KubeConfig {
  const merged = new (loadClientNode().KubeConfig)();
  merged.loadFromOptions({
    clusters: firstOfEachName<Cluster>(configs.flatMap((c) => c.clusters)),
    users: firstOfEachName<User>(configs.flatMap((c) => c.users)),
    contexts: firstOfEachName<Context>(configs.flatMap((c) => c.contexts)),
    currentContext: configs.map((c) => c.currentContext).find((name) => name),
  });
  return merged;
}

function firstOfEachName<T extends { name: string }>(entries: T[]): T[] {
  const first = new Map<string, T>();
  for (const entry of entries) if (!first.has(entry.name)) first.set(entry.name, entry);
  return [...first.values()];
}
