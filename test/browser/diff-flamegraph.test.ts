import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Page } from 'playwright-core';
import { KEYS } from '../../src/parameters/schema';
import { RESULT } from '../../src/result/answer';
import { canvasPixel, eventually, FLAME_ROW_HEIGHT, hoverFrame, launchBrowser, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';
import { goPprofTool, goPprofTop } from '../support/go-pprof';
import { goEnv, GoTarget, startGoTarget } from '../support/go-target';
import { request, serve } from '../support/http-json';
import { RunningService, startService } from '../support/service';

// The diff flame graph as a person sees it: real Chromium, the real service, serving what `go tool pprof -proto
// -diff_base` makes of two heap captures of the real Go target one GET /change apart (main.allocSession's 4 MiB
// new, main.fillIndex's 8 MiB of main.allocSmall gone). Frames are coloured by their change, a legend says which
// hue is which, the tooltip gives both captures' values; search, zoom, inverted and the SVG keep working.

const execFileAsync = promisify(execFile);
let target: GoTarget;
let svc: RunningService;
let browser: TestBrowser;
let source: { url: string; close(): Promise<void> };
let viewer: string;
let page: Page;
let problems: string[];

interface Graph {
  names: string[];
  parent: number[];
  name: number[];
  value: number[];
  zoom: number;
  diff?: { newValue: number[]; baseValue: number[] };
}

/**
 * Writes a heap capture of the target to `file` once pprof's own reading of it shows what the test is about
 * (`ready` of main.allocSmall's in-use bytes). Go publishes the heap as of a completed GC, and the target's
 * runtime.GC() calls do not publish when a background cycle overtakes them: once, under CI's load, the graph had
 * no main.fillIndex frame at all. So the capture is taken again, with the handler's own GC first (`gc=1`), until
 * pprof sees it; a graph that still lacks the frame is then ours to answer for.
 */
async function captureHeap(file: string, ready: (smallBytes: number) => boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${target.url}/debug/pprof/heap${attempt > 0 ? '?gc=1' : ''}`);
    expect(response.status).toBe(200);
    fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const top = await goPprofTop(file, { sampleIndex: 'inuse_space' });
    const smallBytes = top.rows.find((row) => row.name === 'main.allocSmall')?.flat ?? 0;
    if (ready(smallBytes)) return;
    if (attempt === 5) throw new Error(`the target's heap never showed what the test needs (main.allocSmall ${smallBytes} bytes in use)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const apiJson = async (pathAndQuery: string) => (await request(`${viewer}/${pathAndQuery}`)).json();

/** Root-first names down to the first node whose path ends with `tail` in the whole graph. */
function pathEndingWith(graph: Graph, tail: string[]): string[] {
  const names = (i: number): string[] => (i === 0 ? [] : [...names(graph.parent[i]), graph.names[graph.name[i]]]);
  for (let i = 1; i < graph.parent.length; i++) {
    const found = names(i);
    if (found.slice(-tail.length).join(';') === tail.join(';')) return found;
  }
  throw new Error(`no frame at ${tail.join(' > ')}`);
}

/** Zooms the page to the frame above `frame` on its path, so `frame` fills the row below the zoomed one; that row. */
async function zoomAbove(frames: string[], query = ''): Promise<number> {
  await page.goto(`${viewer}/?zoom=${encodeURIComponent(frames.slice(0, -1).join(';'))}${query}`);
  await waitForFlame(page);
  await page.locator('#top-body tr').first().waitFor(); // the screenshots show the whole page
  return frames.length; // the root is row 0, the zoomed frame row frames.length - 1
}

const rgb = (row: number) => canvasPixel(page, 400, row * FLAME_ROW_HEIGHT + FLAME_ROW_HEIGHT / 2);
const tooltipText = async (row: number) => {
  await hoverFrame(page, 400, row);
  return (await page.locator('#flame-tooltip').textContent()) ?? '';
};

beforeAll(async () => {
  [target, svc, browser] = await Promise.all([startGoTarget(), startService(), launchBrowser()]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-flame-browser-'));
  await captureHeap(path.join(dir, 'base.pb.gz'), (smallBytes) => smallBytes > 0);
  expect((await request(`${target.url}/change`)).status).toBe(200);
  await captureHeap(path.join(dir, 'new.pb.gz'), (smallBytes) => smallBytes === 0);
  const { stdout } = await execFileAsync(await goPprofTool(), ['-proto', '-symbolize=none', `-diff_base=${path.join(dir, 'base.pb.gz')}`, path.join(dir, 'new.pb.gz')], {
    env: goEnv(),
    encoding: 'buffer',
  });
  fs.rmSync(dir, { recursive: true, force: true });
  source = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(stdout);
  });
  const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Heap', [KEYS.expirationSeconds]: '600' } });
  expect(answer.status).toBe(200);
  viewer = answer.json()[`${RESULT}viewer_url`].replace(/\/$/, '');
  page = await browser.context.newPage();
  problems = watchProblems(page);
}, 180_000);

afterAll(async () => {
  expect(problems).toEqual([]);
  await browser?.close();
  await svc?.stop();
  await source?.close();
  await target?.stop();
});

describe('a heap diff in the flame graph', () => {
  let graph: Graph;
  let gone: string[];
  let grown: string[];

  beforeAll(async () => {
    graph = await apiJson('api/flamegraph?sample=inuse_space&resolution=4096');
    gone = pathEndingWith(graph, ['main.fillIndex', 'main.allocSmall']);
    grown = pathEndingWith(graph, ['main.growSessions', 'main.allocSession']);
  });

  test('api/flamegraph answers with both captures per frame', () => {
    expect(graph.diff).toBeDefined();
    expect(graph.diff?.newValue.length).toBe(graph.parent.length);
  });

  for (const dark of [false, true]) {
    const theme = dark ? 'dark' : 'light';
    test(`a gone frame and a grown one differ in colour, with a legend and the tooltip's new, base and delta (${theme})`, async () => {
      await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
      const goneRow = await zoomAbove(gone, '&sample=inuse_space');
      const goneTip = await tooltipText(goneRow);
      expect(goneTip).toContain('main.allocSmall');
      expect(goneTip).toMatch(/new 0\s+base \d+(\.\d+)?MB/);
      expect(goneTip).toMatch(/delta -\d+(\.\d+)?MB \(-100%\)/);
      await page.mouse.move(0, 0);
      const goneColour = await rgb(goneRow);
      await screenshot(page, `diff-flame-gone-${theme}`);

      const grownRow = await zoomAbove(grown, '&sample=inuse_space');
      const grownTip = await tooltipText(grownRow);
      expect(grownTip).toContain('main.allocSession');
      expect(grownTip).toMatch(/new 4MB\s+base 0/);
      expect(grownTip).toContain('delta +4MB (new)');
      await page.mouse.move(0, 0);
      const grownColour = await rgb(grownRow);
      await screenshot(page, `diff-flame-grown-${theme}`);

      // Vermillion for growth, blue for shrinkage: red over blue one way, blue over red the other.
      expect(grownColour[0]).toBeGreaterThan(grownColour[2] + 60);
      expect(goneColour[2]).toBeGreaterThan(goneColour[0] + 60);
      const legend = page.locator('#flame-diff-legend');
      expect(await legend.isVisible()).toBe(true);
      expect(await legend.textContent()).toMatch(/grew.*shrank/);
      const swatches = await legend.locator('.swatch').evaluateAll((chips) => chips.map((c) => (c as unknown as { style: { background: string } }).style.background));
      expect(new Set(swatches).size).toBe(2);
      expect(await legend.getAttribute('title')).toMatch(/sized by the new capture/);
    });
  }

  test('the whole graph, in both themes', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${viewer}/?sample=inuse_space`);
      await waitForFlame(page);
      await screenshot(page, `diff-flame-${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a search highlights the frames and says what each capture holds under them', async () => {
    await page.goto(`${viewer}/?sample=inuse_space`);
    await waitForFlame(page);
    await page.locator('#flame-search').fill('allocSmall');
    await eventually(
      () => textOf(page, '#flame-search-status'),
      (status) => expect(status).toMatch(/^1 function · [\d.]+MB → [\d.]+(MB|kB|B)? \(-\d+(\.\d+)?%\)$/),
    );
    expect(await page.locator('#flame-search-status').getAttribute('title')).toMatch(/^[\d.]+MB wide: new .+, base [\d.]+MB, delta -[\d.]+MB \(-\d+(\.\d+)?%\)$/);
    expect(await page.locator('#flame-diff-legend').boundingBox()).toMatchObject({ height: expect.any(Number) });
    expect((await page.locator('#flame-diff-legend').boundingBox())?.height).toBeLessThan(24); // one line
    await screenshot(page, 'diff-flame-search');
  });

  test('a click zooms into a frame, inverted mode still shows the diff, and the SVG has its colours and values', async () => {
    const row = await zoomAbove(gone, '&sample=inuse_space');
    const box = await page.locator('#flame-canvas').boundingBox();
    if (!box) throw new Error('no canvas');
    await page.mouse.click(box.x + 400, box.y + row * FLAME_ROW_HEIGHT + FLAME_ROW_HEIGHT / 2);
    await eventually(
      async () => new URL(page.url()).searchParams.get('zoom'),
      (zoom) => expect(zoom?.split(';')).toEqual(gone),
    );
    expect(await page.locator('#flame-breadcrumb .crumb.current').textContent()).toBe('main.allocSmall');

    await page.goto(`${viewer}/?sample=inuse_space&inverted=1`);
    await waitForFlame(page);
    expect(await page.locator('#flame-diff-legend').isVisible()).toBe(true);
    const inverted: Graph = await apiJson('api/flamegraph?sample=inuse_space&inverted=1&resolution=4096');
    expect(inverted.diff).toBeDefined();
    const leaf = inverted.names.indexOf('main.allocSmall');
    const node = inverted.name.findIndex((n, i) => n === leaf && inverted.parent[i] === 0);
    expect(inverted.diff?.newValue[node]).toBeLessThan(inverted.diff?.baseValue[node] ?? 0);
    await screenshot(page, 'diff-flame-inverted');

    const svg = (await request(`${viewer}/download/flamegraph.svg?sample=inuse_space`)).body.toString('utf8');
    expect(svg).toMatch(/<title>main\.allocSession \(new 4MB, base 0, delta \+4MB \(new\)\)<\/title>/);
    expect(svg).toMatch(/<title>main\.allocSmall \(new 0, base [\d.]+MB, delta -[\d.]+MB \(-100%\)\)<\/title>/);
    expect(svg).toContain('fill="hsl(24 86% 58%)"');
    expect(svg).toContain('fill="hsl(205 86% 58%)"');
  });
});
