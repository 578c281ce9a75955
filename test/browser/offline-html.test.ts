import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Page } from 'playwright-core';
import { analyze } from '../../src/report/analyze';
import { NOT_IN_FILE } from '../../src/viewer/offline/offline-data';
import { offlineViewerHtml } from '../../src/viewer/offline/offline-html';
import { ViewerProfile } from '../../src/viewer/viewer-profile';
import { ViewerServer } from '../../src/viewer/viewer-server';
import { eventually, flameColumn, goOffline, hoverFrame, injectionTraces, launchBrowser, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';
import { request } from '../support/http-json';
import { encodeGzipped, syntheticProfile } from '../support/synthetic-profile';

// The offline viewer file as a person uses it: written to disk, opened from file:// in real Chromium with the
// network off, compared with what a real viewer server says of the same profile.
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'profiles', 'heap.pb.gz');

let browser: TestBrowser;
let dir: string;
let server: ViewerServer;
let base: string;
/** Every request that was not for the file itself or its data:/blob: URLs: none should be made. */
const attempted: string[] = [];

function profileOf(bytes: Buffer): ViewerProfile {
  const profilePath = path.join(dir, 'default.test.Heap.prof');
  fs.writeFileSync(profilePath, bytes);
  return {
    type: 'Heap',
    analysis: analyze(bytes, { maxBytes: 1 << 30 }),
    downloadName: 'default.test.Heap.prof',
    source: 'http://127.0.0.1:1/debug/pprof/heap',
    context: { podNamespace: 'default', podName: 'gotarget', diagnosisNamespace: 'default', diagnosisName: 'incident-42' },
    fetchedAt: new Date(),
    profilePath,
  };
}

async function writeFile(name: string, profile: ViewerProfile): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, await offlineViewerHtml(profile));
  return pathToFileURL(file).href;
}

async function openFile(url: string, ready = waitForFlame): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) attempted.push(r.url());
  });
  await page.goto(url);
  await ready(page);
  return { page, problems };
}

const served = async (pathAndQuery: string) => (await request(`${base}/${pathAndQuery}`)).json();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-html-browser-'));
  browser = await launchBrowser();
  await goOffline(browser, attempted);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  expect(attempted).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('heap profile, offline', () => {
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    const profile = profileOf(fs.readFileSync(FIXTURE));
    server = new ViewerServer(profile, new Date(Date.now() + 600_000));
    base = `http://127.0.0.1:${await server.listen('127.0.0.1')}`;
    ({ page, problems } = await openFile(await writeFile('heap.html', profile)));
  }, 60_000);

  afterAll(async () => {
    expect(problems).toEqual([]);
    await page.close();
  });

  test('draws the flame graph, with a tooltip on hover, and says it is a file', async () => {
    expect(page.url()).toMatch(/^file:/);
    await eventually(() => textOf(page, '#title'), (text) => expect(text).toBe('Heap profile · default/gotarget'));
    expect(await page.locator('#offline-badge').textContent()).toMatch(/^Offline file · /);
    expect(await page.locator('#expiry').isVisible()).toBe(false);
    const column = await flameColumn(page, 3);
    expect(column[0]).toBe('root');
    expect(column.at(-1)).toBe('main.allocBig');
    expect(await hoverFrame(page, 3, column.length - 1)).toBe('main.allocBig');
    expect(await page.locator('#flame-tooltip .tip-values').textContent()).toMatch(/^flat \d+(\.\d+)?MB \(\d+(\.\d+)?%\)\s+cum \d+(\.\d+)?MB/);
    expect(await page.locator('#flame-tooltip .tip-file').textContent()).toMatch(/^gotarget\/main\.go:\d+$/);
    await screenshot(page, 'offline-flame');
    await page.mouse.move(0, 0);
  });

  test("the top table lists api/top's rows", async () => {
    const top = await served('api/top');
    const shown = page.locator('#top-body tr:not(.more)');
    const rows: string[][] = [];
    for (let i = 0; i < (await shown.count()); i++) rows.push(await shown.nth(i).locator('td').allTextContents());
    const expected = top.rows.map((r: { name: string; flatText: string; flatPercent: string; cumText: string; cumPercent: string }) => [r.flatText, r.flatPercent, r.cumText, r.cumPercent, r.name]);
    expect(rows).toEqual(expected.slice(0, rows.length));
    expect(rows.length).toBe(Math.min(expected.length, 300)); // the table draws 300 rows at most
    expect(await textOf(page, '#top-summary')).toBe(`${top.totalText} total · ${top.rows.length} functions`);
  });

  test('a click on a row opens its callers and callees', async () => {
    await page.locator('#top-body tr', { hasText: 'main.allocBig' }).first().click();
    await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe('main.allocBig'));
    const peek = await served('api/peek?function=main.allocBig');
    await eventually(() => page.locator('#peek-panel .peek-list').first().locator('.edge-name').allTextContents(), (names) => expect(names).toEqual(peek.callers.map((c: { name: string }) => c.name)));
    expect(await textOf(page, '#peek-panel .peek-values b')).toBe(peek.flatText);
    await screenshot(page, 'offline-peek');
    await page.locator('#peek-close').click();
  });

  test('the call graph is laid out by Graphviz from the inlined worker', async () => {
    await page.locator('#tab-graph').click();
    const node = page.locator('#graph-canvas g.node[data-function="main.allocBig"]');
    await node.waitFor({ timeout: 30_000 });
    const graph = await served('api/callgraph');
    expect(await page.locator('#graph-canvas g.node[data-function]').count()).toBe(graph.nodes.length);
    await node.click();
    await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe('main.allocBig'));
    await screenshot(page, 'offline-callgraph');
    await page.locator('#peek-close').click();
    await page.locator('#tab-flame').click();
    await waitForFlame(page);
  });

  test('zooms into a frame, and a reload keeps the zoom', async () => {
    const column = await flameColumn(page, 3);
    const zoomRow = column.length - 2;
    const zoomed = column[zoomRow];
    await page.locator('#flame-canvas').click({ position: { x: 3, y: zoomRow * 18 + 9 } });
    await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe(zoomed));
    expect(await hoverFrame(page, -3, zoomRow)).toBe(zoomed);
    expect(new URL(page.url()).searchParams.get('zoom')).toBe(column.slice(1, zoomRow + 1).join(';'));
    await screenshot(page, 'offline-zoomed');
    await page.reload();
    await waitForFlame(page);
    await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe(zoomed));
    expect(await page.locator('#error').isVisible()).toBe(false);
    await page.locator('#flame-reset').click();
    await eventually(() => textOf(page, '#flame-breadcrumb .current'), (text) => expect(text).toBe('all'));
  });

  test("a search gives the server's share of the total", async () => {
    await page.locator('#flame-search').fill('allocBig');
    const allocBig = (await served('api/top')).rows.find((r: { name: string }) => r.name === 'main.allocBig');
    await eventually(() => textOf(page, '#flame-search-status'), (text) => expect(text).toBe(`1 function · ${allocBig.cumText} · ${allocBig.cumPercent} of total`));
    await page.locator('#flame-search').fill('');
    await eventually(() => textOf(page, '#flame-search-status'), (text) => expect(text).toBe(''));
  });

  test('the other sample types are in the file too', async () => {
    const info = await served('api/profile');
    const other = info.sampleTypes.find((t: { type: string }) => t.type !== info.defaultSampleType);
    await page.locator('#sample').selectOption(other.type);
    const top = await served(`api/top?sample=${other.type}`);
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toBe(`${top.totalText} total · ${top.rows.length} functions`));
    await waitForFlame(page);
    expect(await page.locator('#error').isVisible()).toBe(false);
    const total = (await served('api/top')).totalText;
    await page.locator('#sample').selectOption(info.defaultSampleType);
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${total} total`));
  });

  test('the Labels view is in the file', async () => {
    await page.locator('#tab-labels').click();
    await eventually(() => textOf(page, '#labels-summary'), (text) => expect(text).not.toBe(''));
    expect(await page.locator('#error').isVisible()).toBe(false);
    await page.locator('#tab-flame').click();
    await waitForFlame(page);
  });

  test('a refinement says it is not in the file, and clearing it brings the views back', async () => {
    await page.locator('#refine summary').click();
    await page.locator('#refine-focus').fill('allocSmall');
    await page.locator('#refine-focus').press('Enter');
    await page.locator('#error').waitFor({ state: 'visible' });
    expect(await textOf(page, '#error')).toContain(NOT_IN_FILE);
    await screenshot(page, 'offline-not-in-file');
    await page.locator('#refine-clear').click();
    await page.locator('#error').waitFor({ state: 'hidden' });
    await waitForFlame(page);
    await page.locator('#refine summary').click();
  });

  test("the downloads are the file's copies of the server's", async () => {
    for (const [id, route] of [['#download-svg', 'download/flamegraph.svg'], ['#download-top', 'download/top.json'], ['#download-profile', 'download']]) {
      await page.locator('#downloads summary').click();
      expect(await page.locator(id).getAttribute('href')).toMatch(/^blob:/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(id).click()]);
      const saved = fs.readFileSync(await download.path());
      expect(saved).toEqual((await request(`${base}/${route}`)).body);
      const disposition = /filename="([^"]*)"/.exec(String((await request(`${base}/${route}`)).headers['content-disposition']))?.[1];
      expect(download.suggestedFilename()).toBe(disposition);
      if (await page.locator('#downloads').getAttribute('open') !== null) await page.locator('#downloads summary').click();
    }
  });
});

test('a goroutine profile groups the dump that came with it', async () => {
  const bytes = fs.readFileSync(path.join(path.dirname(FIXTURE), 'goroutine.pb.gz'));
  const profile = { ...profileOf(bytes), type: 'Goroutine' as const, goroutineDump: fs.readFileSync(path.join(path.dirname(FIXTURE), 'goroutine-debug2.txt'), 'utf8') };
  const url = `${await writeFile('goroutine.html', profile)}?view=goroutines`;
  const { page, problems } = await openFile(url, (p) => p.locator('#goroutines-list .goroutine-group').first().waitFor());
  const count = (fn: string) => page.locator(`#goroutines-list .goroutine-group[data-function="${fn}"]`).getAttribute('data-count');
  expect(await count('main.waitOnChannel')).toBe('7');
  expect(await count('main.sleepLong')).toBe('5');
  await screenshot(page, 'offline-goroutines');
  expect(problems).toEqual([]);
  await page.close();
}, 60_000);

describe('hostile function names, offline', () => {
  const HOSTILE = '<img src=x onerror=window.__pwned=1>';

  test('render as text and run nothing', async () => {
    const bytes = encodeGzipped(
      syntheticProfile([['inuse_space', 'bytes']], [
        { stack: [HOSTILE, 'main.main'], values: [3 << 20] },
        { stack: ['main.</script><script>window.__pwned=2</script>', 'main.main'], values: [1 << 20] },
      ]),
    );
    const { page, problems } = await openFile(`${await writeFile('hostile.html', profileOf(bytes))}?fn=${encodeURIComponent(HOSTILE)}`);
    await eventually(() => textOf(page, '#top-body td.fn'), (text) => expect(text).toBe(HOSTILE));
    await eventually(() => textOf(page, '#peek-panel .peek-fn'), (text) => expect(text).toBe(HOSTILE));
    expect(await flameColumn(page, 3)).toEqual(['root', 'main.main', HOSTILE]);
    await page.locator('#tab-graph').click();
    await page.locator('#graph-canvas g.node', { hasText: 'onerror' }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'offline-hostile-names');
    // The file's three scripts: its data, its worker's source, the page.
    expect(await injectionTraces(page)).toEqual({ pwned: undefined, images: 0, handlers: 0, scripts: 3, foreign: 0 });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
