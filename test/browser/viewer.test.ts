import fs from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { KEYS } from '../../src/parameters/schema';
import { formatPercent, formatValue } from '../../src/report/units';
import { RESULT } from '../../src/result/answer';
import { canvasPixel, eventually, flameColumn, hoverFrame, injectionTraces, launchBrowser, pageTiming, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';
import { GO_TARGET_DIR, GoTarget, REPO_ROOT, startGoTarget } from '../support/go-target';
import { request, serve } from '../support/http-json';
import { RunningService, startService } from '../support/service';
import { encodeGzipped, syntheticProfile } from '../support/synthetic-profile';

// The viewer as a person uses it: real Chromium, the real service, profiles from the real Go program.
let target: GoTarget;
let svc: RunningService;
let browser: TestBrowser;
const timings: Record<string, number | undefined> = {};

interface Viewer {
  url: string;
  profilePath: string;
}

async function viewerFor(type: string, extra: Record<string, unknown> = {}): Promise<Viewer> {
  const answer = await request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: type, [KEYS.expirationSeconds]: '600', 'diagnosis.namespace': 'default', 'diagnosis.name': 'incident-42', 'pod.name': 'gotarget', ...extra },
  });
  expect(answer.status).toBe(200);
  const body = answer.json();
  return { url: body[`${RESULT}viewer_url`], profilePath: body[`${RESULT}profile_path`] };
}

/** A viewer for a hand-made profile, served by a source of its own (close it after). */
async function viewerOfBytes(bytes: Buffer): Promise<{ viewer: Viewer; source: { close(): Promise<void> } }> {
  const source = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(bytes);
  });
  const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'heap', [KEYS.expirationSeconds]: '600' } });
  expect(answer.status).toBe(200);
  return { viewer: { url: answer.json()[`${RESULT}viewer_url`], profilePath: '' }, source };
}

async function openViewer(viewer: Viewer, query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${viewer.url}${query}`);
  if (query.includes('view=goroutines')) await page.locator('#goroutines-list .goroutine-group').first().waitFor();
  else await waitForFlame(page);
  return { page, problems };
}

const apiJson = async (viewer: Viewer, pathAndQuery: string) => (await request(`${viewer.url}/${pathAndQuery}`)).json();
const firstTopName = (page: Page) => page.locator('#top-body tr td.fn').first().textContent();
const topSummary = (page: Page) => page.locator('#top-summary').textContent();

beforeAll(async () => {
  [target, svc, browser] = await Promise.all([startGoTarget(), startService(), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await target?.stop();
  fs.mkdirSync(path.join(REPO_ROOT, 'test-output'), { recursive: true });
  fs.writeFileSync(path.join(REPO_ROOT, 'test-output', 'browser-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
});

describe('heap profile', () => {
  let heap: Viewer;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    heap = await viewerFor('Heap');
    ({ page, problems } = await openViewer(heap));
    timings['heap first paint (ms after navigation)'] = await pageTiming(page, 'flame:first-paint');
  }, 60_000);

  afterAll(async () => {
    expect(problems).toEqual([]);
    await page.close();
  });

  test('shows provenance, the top table and the hot path with main.allocBig', async () => {
    await eventually(() => textOf(page, '#title'), (text) => expect(text).toBe('Heap profile · gotarget'));
    expect(await page.locator('#provenance').textContent()).toContain('default/incident-42');
    expect(await page.locator('#expiry').textContent()).toMatch(/^Expires in (9|10)m/);
    expect(await firstTopName(page)).toBe('main.allocBig');
    const column = await flameColumn(page, 3);
    expect(column[0]).toBe('root');
    expect(column.at(-1)).toBe('main.allocBig');
    await screenshot(page, 'heap-flame');
  });

  test('hover shows flat and cum with unit and share of the total', async () => {
    const column = await flameColumn(page, 3);
    await hoverFrame(page, 3, column.length - 1);
    const values = await page.locator('#flame-tooltip .tip-values').textContent();
    const row = (await apiJson(heap, 'api/top')).rows.find((r: { name: string }) => r.name === 'main.allocBig');
    expect(values).toMatch(/^flat \d+(\.\d+)?MB \(\d+(\.\d+)?%\)\s+cum \d+(\.\d+)?MB/);
    // file:line where main.allocBig starts: Go writes Function.start_line since 1.20 (without it, the viewer shows the
    // lowest line the profile has of the function, the line after the func line here).
    const source = fs.readFileSync(path.join(GO_TARGET_DIR, 'main.go'), 'utf8').split('\n');
    const startLine = source.findIndex((line) => line.startsWith('func allocBig(')) + 1;
    expect(startLine).toBeGreaterThan(0);
    expect(await page.locator('#flame-tooltip .tip-file').textContent()).toBe(`gotarget/main.go:${startLine}`);
    expect(row.flat).toBeGreaterThan(0);
    await page.mouse.move(0, 0);
  });

  test('search highlights the matches and gives their share of the total', async () => {
    const column = await flameColumn(page, 3);
    const leafY = (column.length - 1) * 18 + 9;
    const before = await canvasPixel(page, 3, leafY);
    await page.locator('#flame-search').fill('allocBig');
    const top = await apiJson(heap, 'api/top');
    const allocBig = top.rows.find((r: { name: string }) => r.name === 'main.allocBig');
    await eventually(() => textOf(page, '#flame-search-status'), (text) => expect(text).toBe(`1 function · ${allocBig.cumText} · ${allocBig.cumPercent} of total`));
    expect(page.url()).toContain('search=allocBig');
    const after = await canvasPixel(page, 3, leafY);
    expect(after).not.toEqual(before);
    expect(after).toEqual([180, 140, 255]); // --highlight in the light theme
    timings['heap search (ms)'] = await pageTiming(page, 'flame:search');
    await screenshot(page, 'heap-search');
    await page.locator('#flame-search').fill('');
    await eventually(() => textOf(page, '#flame-search-status'), (text) => expect(text).toBe(''));
  });

  test('click zooms into a frame (callers stay above), the URL keeps it, reset goes back', async () => {
    const column = await flameColumn(page, 3);
    const zoomRow = column.length - 2;
    const zoomed = column[zoomRow];
    await page.locator('#flame-canvas').click({ position: { x: 3, y: zoomRow * 18 + 9 } });
    await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe(zoomed));
    expect(await hoverFrame(page, -3, zoomRow)).toBe(zoomed); // now spans the whole width
    expect(await hoverFrame(page, -3, 0)).toBe('root');
    expect(new URL(page.url()).searchParams.get('zoom')).toBe(column.slice(1, zoomRow + 1).join(';'));
    timings['heap zoom (ms)'] = await pageTiming(page, 'flame:zoom');
    await screenshot(page, 'heap-zoomed');

    await page.reload();
    await waitForFlame(page);
    await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe(zoomed));

    await page.locator('#flame-reset').click();
    await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe('all'));
    expect(new URL(page.url()).searchParams.get('zoom')).toBeNull();
  });

  test('the sample type menu switches the numbers', async () => {
    const info = await apiJson(heap, 'api/profile');
    const alloc = info.sampleTypes.find((t: { type: string }) => t.type === 'alloc_space');
    const inuse = info.sampleTypes.find((t: { type: string }) => t.type === info.defaultSampleType);
    expect(await page.locator('#sample').inputValue()).toBe('inuse_space');
    expect(await topSummary(page)).toContain(`${inuse.totalText} total`);
    await page.locator('#sample').selectOption('alloc_space');
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${alloc.totalText} total`));
    expect(new URL(page.url()).searchParams.get('sample')).toBe('alloc_space');
    await waitForFlame(page);
    await page.locator('#sample').selectOption('inuse_space');
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${inuse.totalText} total`));
  });

  test('refine with focus and ignore changes the numbers, kept in the URL', async () => {
    const focused = await apiJson(heap, 'api/top?focus=allocSmall');
    const ignored = await apiJson(heap, 'api/top?ignore=allocBig');
    const whole = await apiJson(heap, 'api/top');
    const allocSmall = whole.rows.find((r: { name: string }) => r.name === 'main.allocSmall');
    const allocBig = whole.rows.find((r: { name: string }) => r.name === 'main.allocBig');
    const sum = (top: { rows: Array<{ flat: number }> }) => top.rows.reduce((s, r) => s + r.flat, 0);
    expect(sum(focused)).toBe(allocSmall.cum);
    expect(sum(ignored)).toBe(sum(whole) - allocBig.cum);

    await page.locator('#refine summary').click();
    await page.locator('#refine-focus').fill('allocSmall');
    await page.locator('#refine-focus').press('Enter');
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${allocSmall.cumText} of ${whole.totalText} (`));
    expect(new URL(page.url()).searchParams.get('focus')).toBe('allocSmall');
    expect(await textOf(page, '#refine-summary')).toBe('Refine · 1');
    expect(await firstTopName(page)).toBe('main.allocSmall');
    await screenshot(page, 'heap-refined');

    await page.locator('#refine-focus').fill('');
    await page.locator('#refine-focus').press('Enter');
    await page.locator('#refine-ignore').fill('allocBig');
    await page.locator('#refine-ignore').press('Enter');
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${formatValue(sum(ignored), 'bytes')} of ${whole.totalText} (${formatPercent(sum(ignored), whole.total)})`));
    await page.locator('#refine-clear').click();
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toBe(`${whole.totalText} total · ${whole.rows.length} functions`));
    await page.locator('#refine summary').click();
  });

  test('a bad refine regex is reported against its input', async () => {
    await page.locator('#refine summary').click();
    await page.locator('#refine-hide').fill('(');
    await page.locator('#refine-hide').press('Enter');
    await page.locator('#error').waitFor({ state: 'visible' });
    await eventually(() => page.locator('#refine-hide').getAttribute('aria-invalid'), (value) => expect(value).toBe('true'));
    await page.locator('#refine-clear').click();
    await page.locator('#refine summary').click();
    await page.locator('#error').waitFor({ state: 'hidden' });
    problems.length = 0; // the 400 is logged by the browser as a failed fetch
  });

  test('selecting a top row opens its callers and callees and outlines it in the flame graph', async () => {
    await page.locator('#top-body tr', { hasText: 'main.allocBig' }).first().click();
    await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe('main.allocBig'));
    const peek = await apiJson(heap, 'api/peek?function=main.allocBig');
    expect(peek.callers.length).toBeGreaterThan(0);
    await eventually(() => page.locator('#peek-panel .peek-list').first().locator('.edge-name').allTextContents(), (names) => expect(names).toEqual(peek.callers.map((c: { name: string }) => c.name)));
    expect(new URL(page.url()).searchParams.get('fn')).toBe('main.allocBig');
    await eventually(() => textOf(page, '#top-body tr[aria-selected="true"] td.fn'), (text) => expect(text).toBe('main.allocBig'));
    await screenshot(page, 'heap-peek');
    const caller = peek.callers[0].name;
    await page.locator('#peek-panel .edge', { hasText: caller }).first().click();
    await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe(caller));
  });

  test('the call graph renders as SVG, pans and zooms, and selects nodes', async () => {
    await page.locator('#tab-graph').click();
    const node = page.locator('#graph-canvas g.node[data-function="main.allocBig"]');
    await node.waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).searchParams.get('view')).toBe('graph');
    const box = await page.locator('#graph-canvas').boundingBox();
    if (!box) throw new Error('no call graph on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    expect(Number(await page.locator('#graph-canvas').getAttribute('data-scale'))).toBeGreaterThan(1.5);
    const viewBox = await page.locator('#graph-canvas svg').getAttribute('viewBox');
    await page.mouse.wheel(120, 0);
    expect(await page.locator('#graph-canvas svg').getAttribute('viewBox')).not.toBe(viewBox);
    await page.locator('#graph-fit').click();
    await node.click();
    await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe('main.allocBig'));
    await eventually(() => node.getAttribute('class'), (value) => expect(value).toMatch(/\bselected\b/));
    await screenshot(page, 'heap-callgraph');
    await page.locator('#tab-flame').click();
    await waitForFlame(page);
  });

  test('downloads: the original bytes, an SVG flame graph, the top table as JSON', async () => {
    const download = async (id: string) => {
      await page.locator('#downloads summary').click();
      const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`#${id}`).click()]);
      return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
    };
    const original = await download('download-profile');
    expect(original.bytes.equals(fs.readFileSync(heap.profilePath))).toBe(true);
    expect(original.name).toBe((await apiJson(heap, 'api/profile')).downloadName);
    const svg = (await download('download-svg')).bytes.toString('utf8');
    expect(svg).toMatch(/<svg[\s>]/);
    expect(svg).toContain('main.allocBig');
    const top = JSON.parse((await download('download-top')).bytes.toString('utf8'));
    expect(top).toEqual(await apiJson(heap, 'api/top'));
  });

  test('the dark theme follows the system setting', async () => {
    const brightness = (rgb: number[]) => rgb.reduce((a, b) => a + b, 0) / 3;
    const light = await canvasPixel(page, 300, 9); // the root frame
    await page.emulateMedia({ colorScheme: 'dark' });
    await eventually(() => canvasPixel(page, 300, 9), (dark) => expect(brightness(dark)).toBeLessThan(brightness(light) - 60));
    await screenshot(page, 'heap-flame-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});

describe('cpu profile', () => {
  test('the hottest function is main.hashLoop, in the table and at the end of the hot path', async () => {
    // Two seconds: on a busy 2-core machine one second can hold too few samples to rank hashLoop above mixBits.
    const cpu = await viewerFor('Profile', { [KEYS.durationSeconds]: '2' });
    const { page, problems } = await openViewer(cpu);
    timings['cpu first paint (ms after navigation)'] = await pageTiming(page, 'flame:first-paint');
    expect(await firstTopName(page)).toBe('main.hashLoop');
    expect(await flameColumn(page, 3)).toContain('main.hashLoop');
    await screenshot(page, 'cpu-flame');
    await page.locator('#flame-inverted').check();
    expect(new URL(page.url()).searchParams.get('inverted')).toBe('1');
    // Bottom-up: the leaf sits right under the root (once the bottom-up cut has arrived).
    await eventually(() => flameColumn(page, 3), (column) => expect(column[1]).toBe('main.hashLoop'));
    await screenshot(page, 'cpu-inverted');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('goroutine profile', () => {
  test('groups goroutines by stack and state with their counts', async () => {
    const goroutines = await viewerFor('Goroutine');
    const { page, problems } = await openViewer(goroutines, '?view=goroutines');
    const group = (fn: string) => page.locator(`#goroutines-list .goroutine-group[data-function="${fn}"]`);
    await group('main.waitOnChannel').waitFor();
    const counts = Object.fromEntries(
      await Promise.all(['main.waitOnChannel', 'main.waitOnMutex', 'main.sleepLong', 'main.selectForever'].map(async (fn) => [fn, await group(fn).getAttribute('data-count')])),
    );
    expect(counts).toEqual({ 'main.waitOnChannel': '7', 'main.waitOnMutex': '3', 'main.sleepLong': '5', 'main.selectForever': '2' });
    expect(await group('main.waitOnChannel').locator('.state').textContent()).toMatch(/chan receive/);
    await screenshot(page, 'goroutines');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('hostile function names', () => {
  const HOSTILE = '<img src=x onerror=window.__pwned=1>';

  test('render as text everywhere and run nothing', async () => {
    const profile = syntheticProfile([['inuse_space', 'bytes']], [
      { stack: [HOSTILE, 'main.main'], values: [3 << 20] },
      { stack: ['main.<script>alert(1)</script>', 'main.main'], values: [1 << 20] },
    ]);
    const { viewer, source } = await viewerOfBytes(encodeGzipped(profile));
    try {
      const { page, problems } = await openViewer(viewer, '?fn=' + encodeURIComponent(HOSTILE));
      await eventually(() => textOf(page, '#top-body td.fn'), (text) => expect(text).toBe(HOSTILE));
      await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe(HOSTILE));
      expect(await flameColumn(page, 3)).toEqual(['root', 'main.main', HOSTILE]);
      await page.locator('#tab-graph').click();
      const node = page.locator('#graph-canvas g.node', { hasText: 'onerror' }).first();
      await node.waitFor({ timeout: 20_000 });
      expect(await node.getAttribute('data-function')).toBe(HOSTILE);
      expect(await node.locator('text').allTextContents()).toContain('<img src=x onerror=window');
      await screenshot(page, 'hostile-names');
      const injected = await injectionTraces(page);
      expect(injected).toEqual({ pwned: undefined, images: 0, handlers: 0, scripts: 1, foreign: 0 });
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await source.close();
    }
  }, 60_000);
});

describe('frames too narrow to draw', () => {
  test('are left out of the whole view and appear when their caller is zoomed into', async () => {
    // main.needle is 0.02% of the total: under 1/4096 of the root (so not sent), 0.2% of main.mid (2 px when zoomed).
    const profile = syntheticProfile([['inuse_space', 'bytes']], [
      { stack: ['main.wide', 'main.main'], values: [900_000] },
      { stack: ['main.heavy', 'main.mid', 'main.main'], values: [99_800] },
      { stack: ['main.needle', 'main.mid', 'main.main'], values: [200] },
    ]);
    const { viewer, source } = await viewerOfBytes(encodeGzipped(profile));
    try {
      const whole = await apiJson(viewer, 'api/flamegraph');
      expect(whole.names).not.toContain('main.needle');
      const { page, problems } = await openViewer(viewer);
      const box = await page.locator('#flame-canvas').boundingBox();
      if (!box) throw new Error('no canvas');
      expect(await hoverFrame(page, -1, 3)).toBe('main.heavy'); // the needle is not drawn: main.heavy ends the row
      await page.mouse.click(box.x + box.width * 0.95, box.y + 2 * 18 + 9);
      await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe('main.mid'));
      await eventually(() => hoverFrame(page, -1, 3), (name) => expect(name).toBe('main.needle'));
      expect(new URL(page.url()).searchParams.get('zoom')).toBe('main.main;main.mid');
      expect(await pageTiming(page, 'flame:zoom')).toBeGreaterThan(0);
      await screenshot(page, 'narrow-zoomed');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await source.close();
    }
  }, 60_000);
});

describe('a function called from hundreds of places', () => {
  test('its peek draws the first callers at once and the rest as they are scrolled to; the page times the table and the peek', async () => {
    const callers = Array.from({ length: 450 }, (_, i) => `main.caller${String(i).padStart(3, '0')}`);
    const profile = syntheticProfile(
      [['inuse_space', 'bytes']],
      callers.map((caller, i) => ({ stack: ['main.leaf', caller, 'main.main'], values: [1000 + i] })),
    );
    const { viewer, source } = await viewerOfBytes(encodeGzipped(profile));
    try {
      const { page, problems } = await openViewer(viewer, '?fn=main.leaf');
      const peek = await apiJson(viewer, 'api/peek?function=main.leaf');
      expect(peek.callers).toHaveLength(450);
      const drawn = () => page.locator('#peek-panel .peek-list').first().locator('.edge-name').allTextContents();
      const expected = peek.callers.map((c: { name: string }) => c.name);
      await eventually(drawn, (names) => expect(names).toEqual(expected.slice(0, 200)));
      expect(await page.locator('#peek-panel h3').first().textContent()).toBe('Callers (450)');
      // Scrolled to the end, every caller is drawn, in the API's order.
      await eventually(
        async () => {
          await page.locator('#peek-content').evaluate((content: { scrollTop: number; scrollHeight: number }) => (content.scrollTop = content.scrollHeight));
          return drawn();
        },
        (names) => expect(names).toEqual(expected),
      );
      expect(await pageTiming(page, 'top:shown')).toBeGreaterThan(0);
      expect(await pageTiming(page, 'peek:shown')).toBeGreaterThan(0);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await source.close();
    }
  }, 60_000);
});
