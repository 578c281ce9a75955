import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Bucket, InvalidKeyError, ObjectInfo, UploadOptions, checkKey, isKey } from './bucket';

/**
 * A Bucket over a folder: key a/b/c is the file <root>/a/b/c. Nothing outside the folder is read, written or
 * removed, also through symbolic links. Metadata and content types are not kept.
 *
 * A key and a longer key under it as a folder ("a" and "a/b") cannot both exist here, unlike in S3: the second
 * upload fails.
 */
export class LocalBucket implements Bucket {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = this.root;
  }

  /**
   * Written to a temporary file beside the object, then renamed over it, so a kill never leaves a truncated
   * object under the key. The temporary name has a backslash, which no key has: never listed, never overwritten.
   */
  async upload(key: string, bytes: Uint8Array, _options?: UploadOptions): Promise<void> {
    const file = this.lexicalPath(key);
    for (let attempt = 0; ; attempt++) {
      const dir = await this.makeFolder(key, path.dirname(file));
      const temporary = path.join(dir, `${path.basename(file)}\\${crypto.randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeSynced(temporary, bytes);
        await fs.rename(temporary, path.join(dir, path.basename(file)));
        return;
      } catch (error) {
        await fs.rm(temporary, { force: true });
        // A delete removing the folders it left empty may race us between mkdir and write: make them again.
        if (code(error) === 'ENOENT' && attempt < 3) continue;
        if (code(error) === 'EISDIR' || code(error) === 'ENOTDIR') {
          throw new Error(`${this.root}: cannot upload ${key}: a key and a longer key under it as a folder cannot both exist here`);
        }
        throw error;
      }
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = await this.resolveFile(key);
    if (file === undefined) return undefined;
    try {
      return await fs.readFile(file);
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.resolveFile(key)) !== undefined;
  }

  /**
   * Walks the folders in the order S3 lists keys: by their UTF-8 bytes ("a-b" < "a/b" < "a0"). Lists regular files
   * only: a symbolic link (which get() follows while it stays inside the folder) is not one of the bucket's objects.
   */
  async *iter(prefix: string): AsyncIterable<ObjectInfo> {
    checkKey(prefix, { prefix: true });
    const slash = prefix.lastIndexOf('/');
    const start = prefix.slice(0, slash + 1); // the folder the prefix names, '' or ending in '/'
    const dir = await this.realInside(path.join(this.root, start));
    if (dir === undefined) return;
    yield* this.walk(dir, start, prefix);
  }

  async delete(key: string): Promise<void> {
    const file = this.lexicalPath(key);
    const dir = await this.realInside(path.dirname(file));
    if (dir === undefined) return;
    try {
      await fs.unlink(path.join(dir, path.basename(file)));
    } catch (error) {
      if (['ENOENT', 'EISDIR', 'EPERM'].includes(code(error) ?? '')) return;
      throw error;
    }
    await this.removeEmptyFolders(path.dirname(file));
  }

  locate(key: string): string {
    return this.lexicalPath(key);
  }

  keyOf(location: string): string | undefined {
    if (!path.isAbsolute(location)) return undefined;
    const relative = path.relative(this.root, location);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    const key = relative.split(path.sep).join('/');
    try {
      return checkKey(key);
    } catch {
      return undefined;
    }
  }

  private async *walk(dir: string, keyPrefix: string, wanted: string): AsyncGenerator<ObjectInfo> {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    const listed = entries
      .filter((entry) => entry.isFile() || entry.isDirectory())
      .filter((entry) => !entry.name.includes('\\'))
      .map((entry) => ({ entry, key: keyPrefix + entry.name + (entry.isDirectory() ? '/' : '') }))
      // A folder may hold wanted keys when either of its prefix and the wanted one starts with the other.
      .filter(({ entry, key }) => key.startsWith(wanted) || (entry.isDirectory() && wanted.startsWith(key)))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    for (const { entry, key } of listed) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* this.walk(full, key, wanted);
        continue;
      }
      if (!isKey(key)) continue;
      const stat = await fs.stat(full).catch(() => undefined);
      if (stat) yield { key, size: stat.size, modified: stat.mtime };
    }
  }

  /** The key's path under root, without touching the disk; InvalidKeyError for anything but a plain key. */
  private lexicalPath(key: string): string {
    checkKey(key);
    const file = path.join(this.root, ...key.split('/'));
    if (!file.startsWith(this.root + path.sep)) throw new InvalidKeyError(key, 'outside the bucket');
    return file;
  }

  /** The key's regular file once links are resolved; undefined if none; InvalidKeyError if it leads outside. */
  private async resolveFile(key: string): Promise<string | undefined> {
    const lexical = this.lexicalPath(key);
    const real = await fs.realpath(lexical).catch(() => undefined);
    if (real === undefined) return undefined;
    if (!isInside(await this.realRoot(), real)) throw new InvalidKeyError(key, `leads outside ${this.root} (a symbolic link)`);
    const stat = await fs.stat(real).catch(() => undefined);
    return stat?.isFile() ? real : undefined;
  }

  /** Makes the key's folder and returns its real path, refusing one that a link leads outside root. */
  private async makeFolder(key: string, dir: string): Promise<string> {
    await fs.mkdir(this.root, { recursive: true });
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      if (code(error) === 'EEXIST' || code(error) === 'ENOTDIR') {
        throw new Error(`${this.root}: cannot upload ${key}: a key and a longer key under it as a folder cannot both exist here`);
      }
      throw error;
    }
    const real = await this.realInside(dir);
    if (real === undefined) throw new InvalidKeyError(key, `leads outside ${this.root} (a symbolic link)`);
    return real;
  }

  /** dir's real path if it exists and is root or inside it, else undefined. */
  private async realInside(dir: string): Promise<string | undefined> {
    const [root, real] = await Promise.all([this.realRoot(), fs.realpath(dir).catch(() => undefined)]);
    return real !== undefined && (real === root || isInside(root, real)) ? real : undefined;
  }

  private async realRoot(): Promise<string> {
    return fs.realpath(this.root).catch(() => this.root);
  }

  /** Removes dir and its parents while they are empty, stopping at root (never removed). rmdir follows no link. */
  private async removeEmptyFolders(dir: string): Promise<void> {
    for (let current = dir; isInside(this.root, current); current = path.dirname(current)) {
      if ((await this.realInside(current)) === undefined) return;
      try {
        await fs.rmdir(current);
      } catch {
        return;
      }
    }
  }
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate.startsWith(root + path.sep);
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}
