import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localStore } from '../src/storage/open-storage';

describe('profile store', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('lays files out as KubeDiag does', async () => {
    const store = localStore(root);
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const file = (await store.save(Buffer.from('abc'), 'Heap', { podNamespace: 'kube-system', podName: 'etcd-0', container: 'etcd', diagnosisNamespace: 'default', diagnosisName: 'leak' }, at)).path;
    expect(path.relative(root, file)).toBe('profilers/go/pprof/kube-system.etcd-0.etcd/20260102030405/default.leak.Heap.prof');
    expect(fs.readFileSync(file, 'utf8')).toBe('abc');
    // No temporary file is left beside it.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['default.leak.Heap.prof']);
  });

  test('missing context reads "unknown"; untrusted values cannot climb out of the data root', async () => {
    const store = localStore(root);
    const file = (await store.save(Buffer.from('x'), 'Goroutine', { podName: '../../etc', diagnosisName: 'a/b' })).path;
    expect(file.startsWith(root)).toBe(true);
    expect(path.basename(file)).toBe('unknown.a_b.Goroutine.prof');
    expect(path.relative(root, file).split(path.sep)[3]).toBe('unknown._etc.unknown');
  });

  test('a second profile in the same second gets its own name', async () => {
    const store = localStore(root);
    const at = new Date();
    const first = (await store.save(Buffer.from('1'), 'Heap', {}, at)).path;
    const second = (await store.save(Buffer.from('2'), 'Heap', {}, at)).path;
    expect(second).not.toBe(first);
    expect(fs.readFileSync(first, 'utf8')).toBe('1');
  });

  test('twenty profiles saved at once in the same second each get a file of their own, none overwritten', async () => {
    const store = localStore(root);
    const at = new Date();
    const files = (await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(Buffer.from(`profile ${i}`), 'Heap', {}, at)))).map((saved) => saved.path);
    expect(new Set(files).size).toBe(20);
    expect(files.map((f) => fs.readFileSync(f, 'utf8')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `profile ${i}`).sort());
    expect(fs.readdirSync(path.dirname(files[0])).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('sweep removes files older than the retention period, and folders left empty, and keeps the rest', async () => {
    const store = localStore(root);
    const old = (await store.save(Buffer.from('old'), 'Heap', { podName: 'old' })).path;
    const fresh = (await store.save(Buffer.from('new'), 'Heap', { podName: 'new' })).path;
    const eightDaysAgo = (Date.now() - 8 * 86400 * 1000) / 1000;
    fs.utimesSync(old, eightDaysAgo, eightDaysAgo);
    expect(await store.sweep(7 * 86400)).toBe(1);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(path.dirname(path.dirname(old)))).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
  });
});
