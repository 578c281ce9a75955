import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { errorAnswer, ProfileError } from '../src/errors';
import { MergeInput, mergeProfiles } from '../src/profile/merge/merge-profiles';
import { WireWriter } from '../src/profile/merge/wire-writer';
import { LENGTH_DELIMITED, WireReader } from '../src/profile/wire-reader';
import { goPprofTags, goPprofTool, parseTop } from './support/go-pprof';
import { goPprofFiles, goPprofFilesTop } from './support/go-pprof-files';
import { GoTarget, startGoTarget } from './support/go-target';
import { load, ourTop, pprofTop } from './support/pprof-views';
import { encodeShaped, ProfileShape } from './support/shaped-profile';

// Profiles of three real Go programs (as three pods of one workload), merged by mergeProfiles, against
// `go tool pprof` given the three files together: the merge pprof itself makes.
const PODS = ['web-1', 'web-2', 'web-3'];
const NODES = ['node-a', 'node-b', 'node-a'];
const ENDPOINTS: Record<string, string> = { heap: 'heap', allocs: 'allocs', goroutine: 'goroutine', cpu: 'profile?seconds=1', block: 'block', mutex: 'mutex' };
const MAX = 1 << 30;

let dir: string;
let targets: GoTarget[] = [];
/** By profile type, the three pods' files. */
const files: Record<string, string[]> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-profiles-'));
  await goPprofTool();
  targets = await Promise.all(PODS.map(() => startGoTarget()));
  for (const [type, endpoint] of Object.entries(ENDPOINTS)) {
    files[type] = await Promise.all(
      targets.map(async (target, i) => {
        const response = await fetch(`${target.url}/debug/pprof/${endpoint}`);
        if (!response.ok) throw new Error(`${type} of ${PODS[i]}: HTTP ${response.status}`);
        const file = path.join(dir, `${type}-${PODS[i]}.pb.gz`);
        fs.writeFileSync(file, new Uint8Array(await response.arrayBuffer()));
        return file;
      }),
    );
  }
}, 240_000);

afterAll(async () => {
  await Promise.all(targets.map((t) => t.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function inputs(type: string, labelled = true): MergeInput[] {
  return files[type].map((file, i) => {
    const labels: Record<string, string> = labelled ? { pod: PODS[i], namespace: 'apps', node: NODES[i], container: 'app' } : {};
    return { name: `pod apps/${PODS[i]}`, bytes: fs.readFileSync(file), labels };
  });
}

const merged = new Set<string>();

/** The merged profile written to a file (once per type and labelling). */
function mergedFile(type: string, labelled = true): string {
  const file = path.join(dir, `merged-${type}${labelled ? '' : '-unlabelled'}.pb.gz`);
  if (!merged.has(file)) {
    fs.writeFileSync(file, mergeProfiles(inputs(type, labelled), { maxBytes: MAX }));
    merged.add(file);
  }
  return file;
}

const sampleTypes = (file: string) => load(file).sampleTypes.map((t) => t.type);

describe.each(['heap', 'allocs', 'goroutine', 'cpu'])('three pods\' %s profiles merged', (type) => {
  test('is a gzipped profile whose -top equals pprof given the three files, for every sample type', async () => {
    const file = mergedFile(type);
    expect([...fs.readFileSync(file).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    for (const sample of sampleTypes(file)) {
      const ours = parseTop(await goPprofFilesTop([file], `-sample_index=${sample}`));
      const reference = parseTop(await goPprofFilesTop(files[type], `-sample_index=${sample}`));
      expect(ours.rows.length).toBeGreaterThan(0);
      expect(ours).toEqual(reference);
    }
  });

  test('decodes (our decoder and top table) to what pprof shows of it', async () => {
    const file = mergedFile(type);
    for (const sample of sampleTypes(file)) expect(ourTop(load(file), { sample })).toEqual(await pprofTop(file, { sample }));
  });

  test('without added labels, -raw is pprof\'s merge line for line (samples, locations, mappings, header)', async () => {
    const ours = await goPprofFiles([mergedFile(type, false)], ['-raw']);
    expect(ours).toContain('Locations');
    expect(ours).toEqual(await goPprofFiles(files[type], ['-raw']));
  });

  test('-tagfocus on one pod shows that pod\'s profile alone', async () => {
    const alone = parseTop(await goPprofFilesTop([files[type][1]]));
    const text = await goPprofFilesTop([mergedFile(type)], '-tagfocus=pod=^web-2$');
    const focused = parseTop(text);
    expect(focused.rows).toEqual(alone.rows.filter((r) => r.flat !== 0 || r.cum !== 0));
    const accounted = (report: string) => Number(/accounting for (\d+)/.exec(report)?.[1]);
    expect(accounted(text)).toBe(accounted(await goPprofFilesTop([files[type][1]])));
  });

  test('-tags shows every added label with each pod\'s total', async () => {
    const totals = await Promise.all(files[type].map(async (f) => parseTop(await goPprofFilesTop([f])).total));
    const sum = totals.reduce((a, b) => a + b, 0);
    const tags = await goPprofTags(mergedFile(type));
    expect(tags.total).toBe(sum);
    expect(tags.keys.pod).toEqual({ total: sum, values: Object.fromEntries(PODS.map((p, i) => [p, totals[i]]).filter(([, v]) => v !== 0)) });
    expect(tags.keys.namespace).toEqual({ total: sum, values: { apps: sum } });
    expect(tags.keys.container).toEqual({ total: sum, values: { app: sum } });
    expect(tags.keys.node.values).toEqual(Object.fromEntries([['node-a', totals[0] + totals[2]], ['node-b', totals[1]]].filter(([, v]) => v !== 0)));
  });
});

describe.each(['block', 'mutex'])('three pods\' %s profiles merged', (type) => {
  test('without added labels, -raw is pprof\'s merge line for line', async () => {
    expect(await goPprofFiles([mergedFile(type, false)], ['-raw'])).toEqual(await goPprofFiles(files[type], ['-raw']));
  });
});

test.each(['heap', 'cpu'])('%s at address granularity equals pprof\'s merge (identical binaries share locations)', async (type) => {
  const ours = parseTop(await goPprofFilesTop([mergedFile(type)], '-addresses'));
  expect(ours.rows.length).toBeGreaterThan(0);
  expect(ours).toEqual(parseTop(await goPprofFilesTop(files[type], '-addresses')));
});

test('samples whose values cancel out are dropped, with what only they reached, as pprof merges again', async () => {
  const shape = (sign: number): ProfileShape => ({
    sampleTypes: [['delta', 'count']],
    locations: [
      { id: 1, lines: ['main.kept'] },
      { id: 2, lines: ['main.cancelled'] },
      { id: 3, lines: ['main.root'] },
    ],
    samples: [
      { stack: [1, 3], values: [4] },
      { stack: [2, 3], values: [7 * sign] },
    ],
  });
  const shaped = [1, -1].map((sign, i) => {
    const file = path.join(dir, `shaped-${i}.pb.gz`);
    fs.writeFileSync(file, encodeShaped(shape(sign)));
    return file;
  });
  const file = path.join(dir, 'merged-shaped.pb.gz');
  fs.writeFileSync(file, mergeProfiles(shaped.map((f) => ({ name: f, bytes: fs.readFileSync(f), labels: {} })), { maxBytes: MAX }));
  const raw = await goPprofFiles([file], ['-raw']);
  expect(raw).not.toContain('main.cancelled');
  expect(raw).toEqual(await goPprofFiles(shaped, ['-raw']));
});

/** A real profile with its period replaced. */
function withPeriod(gzipped: Uint8Array, period: number): Uint8Array {
  const raw = zlib.gunzipSync(gzipped);
  const r = new WireReader(raw);
  const w = new WireWriter();
  while (!r.done) {
    const start = r.pos;
    const key = r.key();
    r.skip(key & 7);
    if (key >>> 3 !== 12) w.bytes(raw, start, r.pos);
  }
  w.optional(12, period);
  return zlib.gzipSync(w.view());
}

test('CPU profiles: durations are summed, the largest period is kept, the earliest time, as pprof merges them', async () => {
  const cpu = inputs('cpu');
  cpu[1] = { ...cpu[1], bytes: withPeriod(cpu[1].bytes, 20_000_000) };
  const changed = path.join(dir, 'cpu-web-2-period.pb.gz');
  fs.writeFileSync(changed, cpu[1].bytes);
  const file = path.join(dir, 'merged-cpu-period.pb.gz');
  fs.writeFileSync(file, mergeProfiles(cpu, { maxBytes: MAX }));
  const data = load(file);
  const each = files.cpu.map((f) => load(f));
  expect(data.durationNanos).toBe(each.reduce((sum, p) => sum + p.durationNanos, 0));
  expect(data.period).toBe(20_000_000);
  expect(data.timeNanos).toBe(Math.min(...each.map((p) => p.timeNanos)));
  const header = (text: string) => text.split('\n').filter((l) => /^(PeriodType|Period|Time|Duration):/.test(l));
  const ours = header(await goPprofFiles([file], ['-raw']));
  expect(ours).toContain('Period: 20000000');
  expect(ours).toEqual(header(await goPprofFiles([files.cpu[0], changed, files.cpu[2]], ['-raw'])));
  const traces = await goPprofFiles([file], ['-traces']);
  expect(traces).toContain(`Duration: ${/Duration: (\S+),/.exec(await goPprofFiles(files.cpu, ['-traces']))?.[1]},`);
});

test('a single profile still gets its labels', async () => {
  const file = path.join(dir, 'merged-single.pb.gz');
  fs.writeFileSync(file, mergeProfiles(inputs('heap').slice(0, 1), { maxBytes: MAX }));
  const total = parseTop(await goPprofFilesTop([files.heap[0]])).total;
  const tags = await goPprofTags(file);
  expect(tags.keys.pod).toEqual({ total, values: { 'web-1': total } });
  expect(parseTop(await goPprofFilesTop([file])).rows).toEqual(parseTop(await goPprofFilesTop([files.heap[0]])).rows.filter((r) => r.flat !== 0 || r.cum !== 0));
});

function mergeError(run: () => unknown): ProfileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileError);
    expect(errorAnswer(error).status).toBe(500);
    return error as ProfileError;
  }
  throw new Error('the merge did not fail');
}

/** A real profile whose period type is its first sample type (alloc_objects/count for a heap profile). */
function withPeriodTypeOfFirstSampleType(gzipped: Uint8Array): Uint8Array {
  const raw = zlib.gunzipSync(gzipped);
  const r = new WireReader(raw);
  const w = new WireWriter();
  let sampleType: Uint8Array | undefined;
  while (!r.done) {
    const start = r.pos;
    const key = r.key();
    r.skip(key & 7);
    if (key >>> 3 === 1) sampleType ??= raw.subarray(start, r.pos);
    if (key >>> 3 !== 11) w.bytes(raw, start, r.pos);
  }
  w.bytes(Uint8Array.from(sampleType!, (b, i) => (i === 0 ? (11 << 3) | 2 : b)));
  return zlib.gzipSync(w.view());
}

test('profiles that differ in sample types (heap and goroutine) or period type are a 500 naming the first that differs and how', () => {
  const [heap, , heap3] = inputs('heap');
  const goroutine = inputs('goroutine')[1];
  expect(mergeError(() => mergeProfiles([heap, goroutine, heap3], { maxBytes: MAX })).message).toBe(
    "merging profiles: pod apps/web-2 has sample types [goroutine/count], unlike pod apps/web-1's [alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes]",
  );
  const cpu = inputs('cpu')[2];
  expect(mergeError(() => mergeProfiles([heap, inputs('heap')[1], cpu], { maxBytes: MAX })).message).toBe(
    "merging profiles: pod apps/web-3 has sample types [samples/count cpu/nanoseconds], unlike pod apps/web-1's [alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes]",
  );
  const odd = { ...heap3, bytes: withPeriodTypeOfFirstSampleType(heap3.bytes) };
  expect(mergeError(() => mergeProfiles([heap, odd], { maxBytes: MAX })).message).toBe("merging profiles: pod apps/web-3 has period type alloc_objects/count, unlike pod apps/web-1's space/bytes");
});

/**
 * The profile cut past its middle, inside a top-level field: cut at a field's boundary, it would be a shorter whole
 * profile (the Go program writes different bytes each run, so a fixed cut sometimes fell on one).
 */
function cutInsideAField(raw: Uint8Array): Uint8Array {
  const r = new WireReader(raw);
  while (!r.done) {
    const wire = r.key() & 7;
    if (wire !== LENGTH_DELIMITED) {
      r.skip(wire);
      continue;
    }
    const end = r.lengthEnd();
    if (r.pos >= raw.length / 2 && end - r.pos >= 2) return raw.subarray(0, r.pos + 1);
    r.pos = end;
  }
  throw new Error('no field past the middle to cut inside');
}

test('a broken, truncated or oversized profile is refused naming it', () => {
  const [a, b] = inputs('heap');
  const raw = zlib.gunzipSync(b.bytes);
  const cases: Array<[Uint8Array, RegExp]> = [
    [b.bytes.subarray(0, b.bytes.length - 20), /^merging profiles: pod apps\/web-2: decompressing profile: /],
    [cutInsideAField(raw), /^merging profiles: pod apps\/web-2: parsing profile: not a valid pprof protobuf: truncated/],
    [new Uint8Array([0x12, 0x03, 0x08, 0x07, 0x10]), /^merging profiles: pod apps\/web-2: (parsing|invalid) profile: /],
    [Buffer.concat([raw, Buffer.from([0x12, 0x02, 0x08, 0x63])]), /^merging profiles: pod apps\/web-2: invalid profile: sample\[\d+\] has 0 values, but there are 4 sample types$/],
  ];
  for (const [bytes, message] of cases) expect(mergeError(() => mergeProfiles([a, { ...b, bytes }], { maxBytes: MAX })).message).toMatch(message);
  // Past the limit once gunzipped: refused before anything else is looked at (the first, a small block profile, fits).
  const small = inputs('block')[0];
  expect(zlib.gunzipSync(small.bytes).length).toBeLessThan(raw.length);
  expect(mergeError(() => mergeProfiles([small, b], { maxBytes: raw.length - 1 })).message).toBe(
    `merging profiles: pod apps/web-2: decompressing profile: it expands past the limit of ${raw.length - 1} bytes (MAX_PROFILE_BYTES)`,
  );
});

test('a merged profile larger than the output limit is refused; one of the limit\'s size is not', () => {
  const size = zlib.gunzipSync(mergeProfiles(inputs('heap'), { maxBytes: MAX })).length;
  expect(zlib.gunzipSync(mergeProfiles(inputs('heap'), { maxBytes: MAX, maxOutputBytes: size })).length).toBe(size);
  const error = mergeError(() => mergeProfiles(inputs('heap'), { maxBytes: MAX, maxOutputBytes: size - 1 }));
  expect(error.message).toBe(`merging profiles: the merged profile grows past the limit of ${size - 1} bytes (MAX_PROFILE_BYTES)`);
});
