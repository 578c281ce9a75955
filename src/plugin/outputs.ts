import fs from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { handleApi } from '../viewer/viewer-api';
import { offlineViewerHtml } from '../viewer/offline/offline-html';
import { ViewerProfile } from '../viewer/viewer-profile';
import { UsageError } from './flags';

/** What -o writes, by its extension: the flame graph, the raw profile, the top table, the whole viewer, or stdout. */
export type OutputFormat = 'svg' | 'profile' | 'json' | 'html' | 'stdout';

export function outputFormat(output: string): OutputFormat {
  if (output === '-') return 'stdout';
  const lower = output.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.pb.gz') || lower.endsWith('.pb') || lower.endsWith('.prof') || lower.endsWith('.pprof')) return 'profile';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  throw new UsageError(`-o ${JSON.stringify(output)}: the extension says the format: .svg, .pb.gz, .json or .html (or - for the raw profile on stdout)`);
}

/**
 * The bytes of one output, made by the viewer's own routes (the SVG download, the top table download) or the
 * offline page, so a file equals what the viewer would give.
 */
export async function render(format: Exclude<OutputFormat, 'stdout'>, profile: ViewerProfile, raw: Uint8Array): Promise<Uint8Array | string> {
  const far = new Date(Date.now() + 24 * 3600 * 1000);
  if (format === 'profile') return raw;
  if (format === 'html') return offlineViewerHtml(profile);
  const route = format === 'svg' ? 'download/flamegraph.svg' : 'download/top.json';
  return (await handleApi(route, profile, new URLSearchParams(), far)).body;
}

/** Writes the output; the raw profile (as fetched) to stdout for "-". Returns how many bytes went out. */
export async function writeOutput(output: string, profile: ViewerProfile, raw: Uint8Array, stdout: Writable): Promise<number> {
  const format = outputFormat(output);
  if (format === 'stdout') {
    await new Promise<void>((resolve, reject) => stdout.write(raw, (error) => (error ? reject(error) : resolve())));
    return raw.length;
  }
  const body = await render(format, profile, raw);
  await fs.writeFile(output, body);
  return typeof body === 'string' ? Buffer.byteLength(body) : body.length;
}
