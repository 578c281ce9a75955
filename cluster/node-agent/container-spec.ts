/**
 * What "running a container" means here, since there is no runtime and no
 * image to unpack. Two images exist: `local` (the command is a program on this
 * machine, run as given) and the collector image (this checkout: `node` is
 * runtime.node, the working directory runtime.workdir, as the service's image
 * has /app). Any other image does not pull.
 *
 * The container sees its volumes at their mountPaths; here they are folders
 * under the agent's state directory, so an argument naming a mountPath (or a
 * path below one) is rewritten to the folder, and NODE_AGENT_MOUNTS tells the
 * program the whole mapping.
 */
import path from 'node:path';
import { expand } from './expansion';
import type { ProcessSpec } from './container-process';

export interface ImageRuntime {
  /** The node binary that stands for `node` in the collector image. */
  node: string;
  /** The collector image's working directory. */
  workdir: string;
}

export type ImageKind = 'local' | 'collector' | 'unavailable';

/** The container cannot be started as specified; the runtime's message (reason StartError, exit code 128). */
export class StartError extends Error {}

export const LOCAL_IMAGE = 'local';
// The service's image: ENTRYPOINT node (the base image's), CMD dist/main.js (Dockerfile).
const COLLECTOR_ENTRYPOINT = ['node'];
const COLLECTOR_CMD = ['dist/main.js'];

export function imageKind(image: string, collectorImage: string): ImageKind {
  if (image === LOCAL_IMAGE) return 'local';
  return image === collectorImage ? 'collector' : 'unavailable';
}

export interface ContainerContext {
  kind: Exclude<ImageKind, 'unavailable'>;
  runtime: ImageRuntime;
  env: Map<string, string>;
  /** mountPath -> folder. */
  mounts: Map<string, string>;
  home: string;
  hostname: string;
}

export function processSpec(container: any, context: ContainerContext): ProcessSpec {
  // As the kubelet's ExpandContainerCommandAndArgs: command and args see the container's env.
  const command = (container.command as string[] | undefined)?.map((arg) => expand(arg, context.env));
  const args = (container.args as string[] | undefined)?.map((arg) => expand(arg, context.env));
  const env = processEnv(context);
  if (context.kind === 'collector') {
    // command replaces the image's ENTRYPOINT and drops its CMD; args replace CMD.
    const argv = command ? [...command, ...(args ?? [])] : [...COLLECTOR_ENTRYPOINT, ...(args ?? COLLECTOR_CMD)];
    if (argv[0] !== 'node') throw new StartError(`exec: "${argv[0]}": executable file not found in $PATH`);
    return { file: context.runtime.node, args: argv.slice(1).map((arg) => mountedPath(arg, context.mounts)), cwd: context.runtime.workdir, env };
  }
  const argv = [...(command ?? []), ...(args ?? [])].map((arg) => mountedPath(arg, context.mounts));
  if (!command?.length) throw new StartError('no command specified: the local image has no entrypoint');
  if (!path.isAbsolute(argv[0])) throw new StartError(`exec: "${argv[0]}": the local image runs absolute paths only`);
  return { file: argv[0], args: argv.slice(1), cwd: container.workingDir ? mountedPath(container.workingDir, context.mounts) : '/', env };
}

/** The container's variables and nothing of this machine's but PATH (unless the container sets one). */
function processEnv(context: ContainerContext): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOSTNAME: context.hostname,
    HOME: context.home,
    ...Object.fromEntries(context.env),
    NODE_AGENT_MOUNTS: JSON.stringify(Object.fromEntries(context.mounts)),
  };
}

/** A path inside the container, as the path of this machine it is mounted from. */
export function mountedPath(arg: string, mounts: Map<string, string>): string {
  // The deepest mount wins, as nested mounts shadow their parents.
  const mountPaths = [...mounts.keys()].sort((a, b) => b.length - a.length);
  const mountPath = mountPaths.find((m) => arg === m || arg.startsWith(`${m.replace(/\/$/, '')}/`));
  return mountPath === undefined ? arg : path.join(mounts.get(mountPath) as string, arg.slice(mountPath.length));
}
