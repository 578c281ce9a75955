import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyze } from '../src/report/analyze';
import { topTable } from '../src/report/top';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { warmUpDecoder, warmUpProfiles } from '../src/workers/warm-up';
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

  test('warmUpDecoder reads every sample of the three', () => {
    const samples = profiles.map((bytes) => analyze(bytes, { maxBytes: 1 << 30 }).data.sampleStart.length - 1);
    expect(warmUpDecoder({ maxBytes: 1 << 30 })).toBe(samples.reduce((a, b) => a + b, 0));
  });

  test.each([true, false])('a worker with warmUp %s: warmed up or not, it decodes the next profiles as the main thread does', async (warmUp) => {
    const samples = profiles.reduce((sum, bytes) => sum + analyze(bytes, { maxBytes: 1 << 30 }).data.sampleStart.length - 1, 0);
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
