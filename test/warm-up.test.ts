import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyze } from '../src/report/analyze';
import { topTable } from '../src/report/top';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { WARM_UP_ROUNDS, WARM_UP_SCALE, warmUpDecoder, warmUpProfiles } from '../src/workers/warm-up';
import { goPprofTop } from './support/go-pprof';

// The profiles a decode worker decodes when it starts (src/workers/warm-up.ts) are real pprof profiles of the shapes
// Go writes: `go tool pprof` reads each, and our top table of each is pprof's to the byte. A worker that has run them
// still decodes the next profile the same.

const TYPES = ['inuse_space', 'cpu', 'goroutine'];

describe('the decode worker warm-up profiles', () => {
  const profiles = warmUpProfiles();
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-up-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(profiles.map((bytes, i) => [TYPES[i], i, bytes] as const))('%s: go tool pprof -top reads it as we do', async (type, i, bytes) => {
    const file = path.join(dir, `${i}.pb.gz`);
    fs.writeFileSync(file, bytes);
    const { data, model } = analyze(bytes, { maxBytes: 1 << 30 });
    expect(data.sampleTypes[data.defaultSampleIndex].type).toBe(type);
    const reference = await goPprofTop(file);
    const ours = topTable(data, model, data.defaultSampleIndex);
    expect(ours.total).toBe(reference.total);
    expect(reference.rows.length).toBeGreaterThan(100);
    expect(ours.rows.map((r) => ({ name: r.name, flat: r.flat, cum: r.cum }))).toEqual(reference.rows);
  });

  test('they carry what real profiles do: multi-line locations, deep stacks, numeric and string labels', () => {
    const [heap, cpu] = profiles.map((bytes) => analyze(bytes, { maxBytes: 1 << 30 }).data);
    const locations = heap.locationFrameStart.length - 1;
    let multiLine = 0;
    for (let l = 0; l < locations; l++) if (heap.locationFrameStart[l + 1] - heap.locationFrameStart[l] > 1) multiLine++;
    expect(multiLine / locations).toBeGreaterThan(0.3);
    let deepest = 0;
    for (let s = 0; s + 1 < heap.sampleStart.length; s++) deepest = Math.max(deepest, heap.sampleStart[s + 1] - heap.sampleStart[s]);
    expect(deepest).toBeGreaterThanOrEqual(40);
    expect(heap.strings[heap.sampleLabels[0]]).toBe('');
    expect(heap.sampleBytes[0]).toBeGreaterThan(0);
    expect(cpu.strings[cpu.sampleLabels[1]]).toMatch(/^handler:\/api\/v\d\\ntenant:t\d+\\nworker:\d$/);
  });

  const samplesOf = (all: Uint8Array[]) => all.reduce((sum, bytes) => sum + analyze(bytes, { maxBytes: 1 << 30 }).data.sampleStart.length - 1, 0);
  /** What the default warm-up reads: the three whole, then the later rounds' shares of them. */
  const warmUpSamples = () => samplesOf(profiles) + (WARM_UP_ROUNDS - 1) * samplesOf(warmUpProfiles(WARM_UP_SCALE));

  test('warmUpDecoder reads every sample of the three, whole in the first round and a share of them in the others', () => {
    expect(warmUpDecoder({ maxBytes: 1 << 30 }, 1)).toBe(samplesOf(profiles));
    const share = samplesOf(warmUpProfiles(WARM_UP_SCALE));
    expect(share).toBeGreaterThan(samplesOf(profiles) * WARM_UP_SCALE * 0.9);
    expect(share).toBeLessThan(samplesOf(profiles) * WARM_UP_SCALE * 1.1);
    expect(WARM_UP_ROUNDS).toBeGreaterThan(1);
    expect(warmUpDecoder({ maxBytes: 1 << 30 })).toBe(warmUpSamples());
  });

  test('a share of the samples keeps the tables whole', () => {
    const [whole, share] = [profiles[0], warmUpProfiles(WARM_UP_SCALE)[0]].map((bytes) => analyze(bytes, { maxBytes: 1 << 30 }).data);
    expect(share.locationFrameStart.length).toBe(whole.locationFrameStart.length);
    expect(share.sampleStart.length).toBeLessThan(whole.sampleStart.length);
  });

  test.each([true, false])('a worker with warmUp %s: warmed up or not, it decodes the next profiles as the main thread does', async (warmUp) => {
    const samples = warmUpSamples();
    const pool = new AnalyzePool({ size: 1, warmUp });
    try {
      for (const bytes of profiles) {
        const here = analyze(bytes, { maxBytes: 1 << 30 });
        const there = await pool.analyze(bytes, { maxBytes: 1 << 30 });
        expect(Array.from(there.model.flat)).toEqual(Array.from(here.model.flat));
        expect(there.model.names).toEqual(here.model.names);
      }
      // The service's workers warm up (src/service.ts); the plugin's one-shot worker does not.
      expect(pool.warmUpSamples).toBe(warmUp ? samples : 0);
    } finally {
      await pool.close();
    }
  });
});
