import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { decodeProfile } from '../src/profile/decode';
import { callGraph, GRAPH_DEFAULTS } from '../src/report/callgraph';
import { escapeForDot, shortenFunctionName } from '../src/report/dot';
import { flameStacks } from '../src/report/flame-stacks';
import { flameGraph } from '../src/report/flamegraph';

const PLAIN = { granularity: 'functions', refine: {}, inverted: false } as const;
import { flameGraphSvg, xmlText } from '../src/report/flamegraph-svg';
import { encodeGzipped, syntheticProfile } from './support/synthetic-profile';

// The two things the viewer draws from untrusted names: the SVG flame graph download and the call graph's DOT.
const DIR = path.join(__dirname, 'fixtures', 'profiles');
const HOSTILE = 'main.<img src=x onerror=alert(1)>"&\'\\N]]>\u0007\ud800';

function load(bytes: Buffer) {
  return decodeProfile(bytes, { maxBytes: 1 << 30 });
}

/** A strict little well-formedness check: balanced elements, no stray "<" or "&" in text or attributes. */
function expectWellFormedXml(xml: string): string[] {
  const body = xml.replace(/^<\?xml[^?]*\?>\n/, '');
  const open: string[] = [];
  const elements: string[] = [];
  const token = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>|([^<]+)/gy;
  let consumed = 0;
  for (let m = token.exec(body); m !== null; m = token.exec(body)) {
    consumed = token.lastIndex;
    if (m[5] !== undefined) {
      expect(m[5].replace(/&(amp|lt|gt|quot|apos);/g, '')).not.toMatch(/[<&]/);
    } else if (m[1]) {
      expect(open.pop()).toBe(m[2]);
    } else {
      elements.push(m[2]);
      if (!m[4]) open.push(m[2]);
    }
  }
  expect(consumed).toBe(body.length);
  expect(open).toEqual([]);
  return elements;
}

describe('flame graph SVG', () => {
  const data = load(
    encodeGzipped(
      syntheticProfile(
        [['cpu', 'nanoseconds']],
        [
          { stack: [HOSTILE, 'main.main'], values: [600] },
          { stack: ['main.b', 'main.main'], values: [400] },
          { stack: ['main.tiny', 'main.main'], values: [0.00001] },
        ],
      ),
    ),
  );
  const graph = flameGraph(data, flameStacks(data, PLAIN), { sampleIndex: 0, zoom: [], resolution: 12_000 });
  const svg = flameGraphSvg(graph, { title: 'CPU <profile>', subtitle: ['focus=a&b'] });

  test('is standalone, well-formed XML with no script or outside reference', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(new Set(expectWellFormedXml(svg))).toEqual(new Set(['svg', 'rect', 'text', 'g', 'title']));
    expect(svg).not.toMatch(/href|url\(/i);
  });

  test('names are XML text: escaped, characters XML forbids dropped', () => {
    expect(svg).toContain('main.&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&apos;\\N]]&gt;');
    expect(svg).not.toMatch(/[\u0007\ud800]/);
    expect(svg).toContain('CPU &lt;profile&gt;');
    expect(xmlText('a\u0000b\ud83d\ude00c\udc00')).toBe('ab\ud83d\ude00c');
  });

  test('frame widths follow values; each frame has a title for hover; hair-thin frames are left out', () => {
    const frames = [...svg.matchAll(/<title>([^<]*)<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)].map((m) => ({
      title: m[1],
      y: Number(m[3]),
      width: Number(m[4]),
    }));
    const width = (prefix: string) => frames.find((f) => f.title.startsWith(prefix))?.width;
    expect(width('all')).toBe(1180);
    expect(width('main.main')).toBe(1180);
    expect(width('main.b')).toBeCloseTo(1180 * 0.4, 0);
    expect(width('main.&lt;img')).toBeCloseTo(1180 * 0.6, 0);
    expect(frames.some((f) => f.title.startsWith('main.tiny'))).toBe(false);
    expect(frames.find((f) => f.title.startsWith('main.b'))?.title).toBe('main.b (400ns, 40.00%)');
    // Root at the bottom, callees above it.
    expect(frames.find((f) => f.title.startsWith('all'))!.y).toBeGreaterThan(frames.find((f) => f.title.startsWith('main.b'))!.y);
    const icicle = flameGraphSvg(graph, { title: 't', rootOnTop: true });
    const rootY = Number(/<title>all[^<]*<\/title><rect x="[\d.]+" y="(\d+)"/.exec(icicle)?.[1]);
    const childY = Number(/<title>main\.b[^<]*<\/title><rect x="[\d.]+" y="(\d+)"/.exec(icicle)?.[1]);
    expect(rootY).toBeLessThan(childY);
  });

  test('a profile with no stacks draws an empty root', () => {
    const empty = load(fs.readFileSync(path.join(DIR, 'threadcreate.pb.gz')));
    const out = flameGraphSvg(flameGraph(empty, flameStacks(empty, PLAIN), { sampleIndex: 0, zoom: [], resolution: 12_000 }), { title: 'threadcreate' });
    expectWellFormedXml(out);
    expect(out.match(/<title>/g)).toHaveLength(1);
  });
});

describe('call graph DOT', () => {
  test.each([
    ['main.(*T).f', 'main.(*T).f'],
    ['github.com/google/pprof/internal/graph.(*Graph).TrimTree', 'graph.(*Graph).TrimTree'],
    ['example.com/mod/v2/pkg.F', 'pkg.F'],
    ['(anonymous namespace)::ns::Foo::bar', 'Foo::bar'],
    ['java.util.HashMap.get(Ljava/lang/Object;)', 'HashMap.get'],
  ])('shortenFunctionName(%j) is %j, as pprof shortens it', (name, short) => expect(shortenFunctionName(name)).toBe(short));

  test('escapeForDot leaves no way out of a quoted string', () => {
    expect(escapeForDot('a"b\\c\nd\u0000')).toBe('a\\"b\\\\c\\ld');
  });

  test('Graphviz (viz.js, as the page uses) lays out the DOT of every fixture and of hostile names', async () => {
    const dots = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.pb.gz'))
      .map((f) => load(fs.readFileSync(path.join(DIR, f))));
    dots.push(load(encodeGzipped(syntheticProfile([['alloc_space', 'bytes']], [{ stack: [HOSTILE, 'main."quoted"'], values: [1 << 20] }]))));
    const rendered = await render(dots.map((data) => callGraph(data, { sampleIndex: data.defaultSampleIndex, granularity: 'functions', refine: {}, trim: GRAPH_DEFAULTS }).dot));
    // Graphviz warns of character widths it lacks a font for; anything else would be a broken graph.
    const problems = (errors: unknown[]) => (errors as Array<{ level: string; message: string }>).filter((e) => e.level !== 'warning' || !/width of non-ASCII/.test(e.message));
    for (const result of rendered) expect({ status: result.status, problems: problems(result.errors) }).toEqual({ status: 'success', problems: [] });
    const hostile = rendered[rendered.length - 1].output;
    expect(hostile).toContain('<title>N1</title>');
    expect(hostile).not.toContain('<img');
    expect(hostile).toContain('&lt;img src=x onerror=alert(1)&gt;');
  }, 60_000);
});

/** Renders DOT to SVG with @viz-js/viz (an ES module) in a child Node process. */
function render(dots: string[]): Promise<Array<{ status: string; errors: unknown[]; output: string }>> {
  const script = `
    import { instance } from '@viz-js/viz';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const viz = await instance();
    const results = JSON.parse(input).map((dot) => viz.render(dot, { format: 'svg' }));
    process.stdout.write(JSON.stringify(results.map((r) => ({ status: r.status, errors: r.errors, output: r.output ?? '' }))));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(__dirname, '..') });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`viz.js render failed (${code}): ${err}`))));
    child.stdin.end(JSON.stringify(dots));
  });
}
