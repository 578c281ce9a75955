import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ProfileType } from '../parameters/profile-types';
import { RequestContext } from '../parameters/request-context';

/** Where KubeDiag keeps go-profiler output under its data root. */
const PROFILE_DIR = path.join('profilers', 'go', 'pprof');

/**
 * Keeps raw profiles on disk as KubeDiag lays them out:
 * profilers/go/pprof/<pod ns>.<pod>.<container>/<timestamp>/<diag ns>.<diag name>.<Type>.prof
 */
export class ProfileStore {
  constructor(private readonly dataRoot: string) {}

  /**
   * Written to a temporary name first, so a kill never leaves a truncated profile under the final name, then
   * linked to the first free final name: link fails if the name exists, so two requests in the same second never
   * take the same file (a check then a rename would let the second overwrite the first).
   */
  async save(bytes: Uint8Array, type: ProfileType, context: RequestContext, at = new Date()): Promise<string> {
    const dir = path.resolve(
      this.dataRoot,
      PROFILE_DIR,
      [context.podNamespace, context.podName, context.container].map(segment).join('.'),
      timestamp(at),
    );
    await fs.mkdir(dir, { recursive: true });
    const stem = `${segment(context.diagnosisNamespace)}.${segment(context.diagnosisName)}.${type}`;
    const temporary = path.join(dir, `${stem}.${crypto.randomBytes(4).toString('hex')}.tmp`);
    await fs.writeFile(temporary, bytes, { flag: 'wx' });
    try {
      return await claimName(temporary, dir, stem);
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  /**
   * A merged profile's inputs, kept beside it: <stem>.targets/<n>-<target>.prof, one per target, in order.
   * Returns each target's path by its name.
   */
  async saveBeside(profilePath: string, files: Array<{ name: string; bytes: Uint8Array }>): Promise<Map<string, string>> {
    const dir = `${profilePath.replace(/\.prof$/, '')}.targets`;
    await fs.mkdir(dir, { recursive: true });
    const paths = new Map<string, string>();
    const width = String(files.length).length;
    for (const [i, file] of files.entries()) {
      const target = path.join(dir, `${String(i + 1).padStart(width, '0')}-${segment(file.name)}.prof`);
      await fs.writeFile(target, file.bytes, { flag: 'wx' });
      paths.set(file.name, target);
    }
    return paths;
  }

  /** Removes timestamp folders older than the retention period, then folders left empty. Returns how many went. */
  async sweep(retentionSeconds: number, now = Date.now()): Promise<number> {
    const root = path.resolve(this.dataRoot, PROFILE_DIR);
    let removed = 0;
    for (const target of await list(root)) {
      const targetDir = path.join(root, target);
      for (const stamp of await list(targetDir)) {
        const stampDir = path.join(targetDir, stamp);
        const stat = await fs.stat(stampDir).catch(() => undefined);
        if (stat && now - stat.mtimeMs > retentionSeconds * 1000) {
          await fs.rm(stampDir, { recursive: true, force: true });
          removed++;
        }
      }
      if ((await list(targetDir)).length === 0) await fs.rmdir(targetDir).catch(() => undefined);
    }
    return removed;
  }
}

/** A path segment from an untrusted value: no separators, no dot-dot, never empty. */
function segment(value: string | undefined): string {
  const cleaned = (value ?? '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 100);
  return cleaned === '' ? 'unknown' : cleaned;
}

/** KubeDiag's timestamp format (Go layout 20060102150405), in UTC. */
function timestamp(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Links the file to <stem>.prof, or <stem>-1.prof, ... whichever is free first; returns that name. */
async function claimName(file: string, dir: string, stem: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = path.join(dir, n === 0 ? `${stem}.prof` : `${stem}-${n}.prof`);
    try {
      await fs.link(file, candidate);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

async function list(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}
