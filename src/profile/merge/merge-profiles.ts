import zlib from 'node:zlib';
import { ProfileError } from '../../errors';
import { decompress } from '../decompress';
import { VARINT } from '../wire-reader';
import { addHeader, checkCompatible, firstHeader, MergedHeader } from './combine-headers';
import { SampleMerger } from './merge-samples';
import { TableMerger } from './merge-tables';
import { addedLabels } from './sample-labels';
import { MergeSource, readSource } from './read-source';
import { OutputBudget, WireWriter } from './wire-writer';

export interface MergeInput {
  /** How errors name it: "pod apps/web-1", or the URL. */
  name: string;
  /** profile.proto, gzipped or not. */
  bytes: Uint8Array;
  /** String labels added to every sample of this input (an empty value adds nothing: pprof cannot hold one). */
  labels: Record<string, string>;
  /**
   * Per sample type, a factor its values are multiplied by (rounded, as pprof's Profile.ScaleN): -1 for a diff's
   * base, the ratio of totals for -normalize. Samples left all zero are dropped, as pprof drops them.
   */
  scale?: readonly number[];
}

export interface MergeOptions {
  /** Each input's limit once gunzipped, and the merged profile's (before gzip) unless maxOutputBytes says otherwise. */
  maxBytes: number;
  maxOutputBytes?: number;
  /** zlib level of the output; default 1 (a merged profile is written once and read a few times). */
  gzipLevel?: number;
}

/**
 * Merges profiles as pprof's profile.Merge does (`go tool pprof a.pb.gz b.pb.gz`), adding each input's labels to
 * its samples, and returns the merged profile.proto gzipped. Pure: runs in a worker. Works on the wire format
 * (read-source.ts reads only the tables; samples are re-emitted with remapped ids), so no object per sample.
 * Throws a ProfileError (500) naming the input that is broken, too large or unlike the first.
 */
export function mergeProfiles(inputs: MergeInput[], options: MergeOptions): Uint8Array {
  return zlib.gzipSync(mergeProfilesRaw(inputs, options), { level: options.gzipLevel ?? 1 });
}

/** The same merge, not gzipped: what a decoder in the same worker reads without gunzipping it again. */
export function mergeProfilesRaw(inputs: MergeInput[], options: MergeOptions): Uint8Array {
  return mergeRaw(inputs, options.maxBytes, options.maxOutputBytes ?? options.maxBytes);
}

function mergeRaw(inputs: MergeInput[], maxBytes: number, maxOutputBytes: number, again = true): Uint8Array {
  if (inputs.length === 0) throw new ProfileError('merging profiles: no profiles to merge');
  const budget = new OutputBudget(maxOutputBytes);
  const tables = new TableMerger(budget);
  let first: MergeSource | undefined;
  let header: MergedHeader | undefined;
  let samples: SampleMerger | undefined;
  for (const input of inputs) {
    const source = naming(input.name, () => readSource(input.name, decompress(input.bytes, maxBytes)));
    if (!first || !header || !samples) {
      first = source;
      header = firstHeader(source);
      samples = new SampleMerger(budget, source.sampleTypes.length);
    } else {
      checkCompatible(first, source);
      addHeader(header, source);
    }
    const merger = samples;
    naming(input.name, () => {
      tables.begin(source);
      if (input.scale && input.scale.length !== source.sampleTypes.length) {
        throw new ProfileError(`merging profiles: ${input.scale.length} scale factors for ${source.sampleTypes.length} sample types`);
      }
      merger.add(source, tables, addedLabels(tables.strings, input.labels), input.scale);
    });
  }
  const outBudget = new OutputBudget(maxOutputBytes);
  const out = new WireWriter(outBudget, 1 << 16);
  const zero = writeProfile(out, header!, samples!, tables);
  outBudget.check(0);
  // pprof merges once more when summed values cancel out, to drop the samples that became zero.
  if (zero && again) return mergeRaw([{ name: 'the merged profile', bytes: out.view(), labels: {} }], maxOutputBytes, maxOutputBytes, false);
  return out.view();
}

/** profile.proto's fields in the order pprof's encoder writes them. */
function writeProfile(out: WireWriter, header: MergedHeader, samples: SampleMerger, tables: TableMerger): boolean {
  const s = tables.strings;
  const sampleTypes = header.sampleTypes.map((t) => [s.intern(t.type), s.intern(t.unit)]);
  const periodType = [s.intern(header.periodType.type), s.intern(header.periodType.unit)];
  const [dropFrames, keepFrames, defaultSampleType, docUrl] = [header.dropFrames, header.keepFrames, header.defaultSampleType, header.docUrl].map((t) => s.intern(t));
  const comments = header.comments.map((c) => s.intern(c));
  for (const [type, unit] of sampleTypes) valueType(out, 1, type, unit);
  const zero = samples.write(out);
  out.bytes(tables.mappingsOut.view());
  out.bytes(tables.locationsOut.view());
  out.bytes(tables.functionsOut.view());
  s.write(out);
  out.optional(7, dropFrames);
  out.optional(8, keepFrames);
  out.uint64Optional(9, header.timeNanos);
  out.uint64Optional(10, header.durationNanos);
  if (periodType[0] !== 0 || periodType[1] !== 0) valueType(out, 11, periodType[0], periodType[1]);
  out.uint64Optional(12, header.period);
  for (const c of comments) {
    out.key(13, VARINT);
    out.varint(c);
  }
  out.key(14, VARINT);
  out.varint(defaultSampleType);
  out.optional(15, docUrl);
  return zero;
}

function valueType(out: WireWriter, field: number, type: number, unit: number): void {
  const mark = out.beginMessage(field);
  out.optional(1, type);
  out.optional(2, unit);
  out.endMessage(mark);
}

/** Runs one input's step, putting its name into a ProfileError that does not name it yet. */
function naming<T>(name: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof ProfileError && !error.message.startsWith('merging profiles:')) {
      throw new ProfileError(`merging profiles: ${name}: ${error.message}`, error.details);
    }
    throw error;
  }
}
