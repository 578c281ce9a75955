import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Page } from 'playwright-core';
import { createLogger } from '../../src/log';
import { ProfileType } from '../../src/parameters/profile-types';
import { analyze } from '../../src/report/analyze';
import type { TopRow, TopTable } from '../../src/report/top';
import { CaptureInfo, DiffInfo } from '../../src/viewer/profile-info';
import { ViewerRegistry } from '../../src/viewer/registry';
import { ViewerProfile } from '../../src/viewer/viewer-profile';
import { eventually, launchBrowser, screenshot, TestBrowser, textOf, watchProblems } from '../support/browser';
import { goPprofTool } from '../support/go-pprof';
import { goEnv, GoTarget, startGoTarget } from '../support/go-target';
import { request } from '../support/http-json';

// A diff in the viewer as a person uses it: real Chromium on viewers opened directly (ViewerRegistry) on what
// `go tool pprof -proto -diff_base=BASE NEW` makes from two real captures of the Go target, one GET /change apart
// (40 more main.leakRequest goroutines in chan receive; 8 MiB of main.allocSmall freed, main.allocSession's added).
const execFileAsync = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-views-'));
let target: GoTarget;
let browser: TestBrowser;
const registry = new ViewerRegistry({ maxViewers: 4, bindAddress: '127.0.0.1', log: createLogger('silent') });

interface Capture {
  info: CaptureInfo;
  dump?: string;
}

/** One capture: the profile stored as the processor would, and for a goroutine profile its debug=2 dump. */
async function capture(endpoint: string, name: string, pod: string): Promise<Capture> {
  const fetchedAt = new Date();
  const profilePath = path.join(dir, `default.${pod}.${name}.prof`);
  fs.writeFileSync(profilePath, Buffer.from(await (await fetch(`${target.url}/debug/pprof/${endpoint}`)).arrayBuffer()));
  const dump = endpoint === 'goroutine' ? await (await fetch(`${target.url}/debug/pprof/goroutine?debug=2`)).text() : undefined;
  return { info: { source: `${target.url}/debug/pprof/${endpoint}`, fetchedAt: fetchedAt.toISOString(), profilePath, pod: `default/${pod}` }, dump };
}

const change = async () => expect(await (await fetch(`${target.url}/change`)).text()).toMatch(/^change \d+ applied\n$/);

/** A viewer on pprof's own diff of the two captures, with both captures' provenance (and dumps). */
async function diffViewer(type: ProfileType, base: Capture, next: Capture): Promise<string> {
  const profilePath = path.join(dir, `default.${type}.diff.prof`);
  const { stdout } = await execFileAsync(await goPprofTool(), ['-proto', `-diff_base=${base.info.profilePath}`, next.info.profilePath], {
    env: goEnv(),
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  fs.writeFileSync(profilePath, stdout);
  const diff: DiffInfo = { base: base.info, new: next.info, normalized: false };
  const profile: ViewerProfile = {
    type,
    analysis: analyze(stdout, { maxBytes: 1 << 30 }),
    downloadName: path.basename(profilePath),
    source: next.info.source,
    context: { podNamespace: 'default', podName: 'gotarget' },
    fetchedAt: new Date(next.info.fetchedAt),
    profilePath,
    goroutineDump: next.dump,
    baseGoroutineDump: base.dump,
    diff,
  };
  const live = await registry.open(registry.reserve(), profile, 600);
  return `http://127.0.0.1:${live.port}`;
}

async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(url);
  return { page, problems };
}

const apiJson = async (viewer: string, pathAndQuery: string) => (await request(`${viewer}/${pathAndQuery}`)).json();
const rowNames = (page: Page) => page.locator('#top-body tr[data-name]').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { name: string } }).dataset.name));
const rowCells = (page: Page, name: string) =>
  page.locator(`#top-body tr[data-name="${name}"] td`).evaluateAll((tds) => tds.map((td) => (td as unknown as { textContent: string }).textContent));
/** The order the page should show: biggest first, then by name. */
const orderBy = (rows: TopRow[], value: (row: TopRow) => number) =>
  [...rows].sort((a, b) => value(b) - value(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((r) => r.name);
const clickSort = (page: Page, key: string) => page.locator(`#top-table button[data-sort="${key}"]`).click();

let heapBase: Capture;
let heapNew: Capture;
let goroutineBase: Capture;
let goroutineNew: Capture;

beforeAll(async () => {
  [target, browser] = await Promise.all([startGoTarget(), launchBrowser(), goPprofTool()]);
  heapBase = await capture('heap', 'Heap-base', 'gotarget-0');
  await change();
  // The goroutine base already holds the first 40 leaked: the second change makes them 80.
  [heapNew, goroutineBase] = [await capture('heap', 'Heap-new', 'gotarget-1'), await capture('goroutine', 'Goroutine-base', 'gotarget-1')];
  await change();
  goroutineNew = await capture('goroutine', 'Goroutine-new', 'gotarget-2');
}, 180_000);

afterAll(async () => {
  await registry.closeAll();
  await browser?.close();
  await target?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a goroutine diff with both dumps', () => {
  let viewer: string;
  let page: Page;
  let problems: string[];
  /** The base capture's time as the page's clock shows it. */
  let since: string;

  beforeAll(async () => {
    viewer = await diffViewer('Goroutine', goroutineBase, goroutineNew);
    ({ page, problems } = await open(`${viewer}/?view=goroutines`));
    await page.locator('#goroutines-list article.growth').first().waitFor();
    since = await page.evaluate(
      (iso) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
      goroutineBase.info.fetchedAt,
    );
  }, 60_000);

  afterAll(async () => {
    expect(problems).toEqual([]);
    await page.close();
  });

  test('api/goroutines says what grew since the base: the leak, +40, first', async () => {
    const answer = await apiJson(viewer, 'api/goroutines');
    expect(answer.growth.baseFetchedAt).toBe(goroutineBase.info.fetchedAt);
    expect(answer.growth.groups[0]).toMatchObject({ then: 40, now: 80, growth: 40, change: 'grew', state: 'chan receive', stack: [{ function: 'main.leakRequest' }] });
    expect(answer.total - answer.growth.baseTotal).toBe(answer.growth.groups.reduce((sum: number, g: { growth: number }) => sum + g.growth, 0));
  });

  test('the goroutine view lists the leak first: "+40 in chan receive at main.go:N (main.leakRequest) since HH:MM"', async () => {
    const first = page.locator('#goroutines-list article.growth').first();
    expect(await first.getAttribute('data-change')).toBe('grew');
    expect(await first.locator('.count').textContent()).toBe('+40');
    expect(await first.locator('.growth-text').textContent()).toMatch(new RegExp(`^in chan receive at main\\.go:\\d+ \\(main\\.leakRequest\\) since ${since}$`));
    expect(await first.textContent()).toContain('40 then, 80 now');
    expect(await textOf(page, '#goroutines-growth')).toMatch(new RegExp(` grew since ${since}$`));
    // The goroutines the target parks at start are the same in both: not among what changed.
    const changed = await page.locator('#goroutines-list article.growth').evaluateAll((as) => as.map((a) => (a as unknown as { dataset: { function: string } }).dataset.function));
    for (const parked of ['main.waitOnChannel', 'main.waitOnMutex', 'main.sleepLong', 'main.selectForever', 'main.holdMutex']) expect(changed).not.toContain(parked);
    expect(await textOf(page, '#goroutines-summary')).toMatch(/^\d+ goroutines in \d+ groups · \d+ at \d\d:\d\d \(\+\d+\)$/);
    await screenshot(page, 'diff-goroutine-growth');
  });

  test('focus and ignore filter what grew as they filter the groups', async () => {
    const ignored = await apiJson(viewer, 'api/goroutines?ignore=leakRequest');
    expect(ignored.growth.groups.filter((g: { stack: Array<{ function: string }> }) => g.stack.some((f) => f.function === 'main.leakRequest'))).toEqual([]);
    const focused = await apiJson(viewer, 'api/goroutines?focus=leakRequest');
    expect(focused.growth.groups.map((g: { growth: number }) => g.growth)).toEqual([40]);
    const other = await open(`${viewer}/?view=goroutines&ignore=leakRequest`);
    await other.page.locator('#goroutines-list .goroutine-group').first().waitFor();
    expect(await other.page.locator('#goroutines-list article.growth[data-function="main.leakRequest"]').count()).toBe(0);
    expect(other.problems).toEqual([]);
    await other.page.close();
  });

  test('the header marks the diff and shows both captures, which one is the base, and that it is not normalized', async () => {
    await eventually(() => textOf(page, '#diff-marker'), (text) => expect(text).toBe('Diff: new − base'));
    const part = (role: string, name: string) => textOf(page, `#provenance [data-capture="${role}"] [data-part="${name}"]`);
    for (const [role, capture] of [['base', goroutineBase], ['new', goroutineNew]] as const) {
      expect(await part(role, 'source')).toBe(capture.info.source);
      expect(await part(role, 'pod')).toBe(capture.info.pod);
      expect(await part(role, 'stored')).toBe(capture.info.profilePath);
      expect(await part(role, 'time')).toBeTruthy();
    }
    expect(await textOf(page, '#provenance [data-capture="base"] dt')).toBe('Base (subtracted)');
    expect(await textOf(page, '#provenance [data-capture="new"] dt')).toBe('New');
    expect(await page.locator('#provenance').textContent()).toContain('Normalizedno');
    expect(await page.title()).toMatch(/^Diff · Goroutine · /);
    await screenshot(page, 'diff-goroutine-provenance');
  });

  test('the top table has new, base, delta and delta % for flat and cum: main.leakRequest 40 -> 80 is +100%', async () => {
    const table: TopTable = await apiJson(viewer, 'api/top');
    const leak = table.rows.find((r) => r.name === 'main.leakRequest');
    expect(leak?.diff).toMatchObject({ newCum: 80, baseCum: 40, cumChange: 1 });
    await eventually(() => rowCells(page, 'main.leakRequest'), (cells) => expect(cells.slice(5, 9)).toEqual(['80', '40', '+40', '+100%']));
    expect((await rowCells(page, 'main.leakRequest'))[0]).toBe('main.leakRequest');
    expect(await page.locator('#top-table thead tr').nth(1).locator('th').allTextContents()).toEqual(['new', 'base', 'delta', 'delta %', 'new', 'base', 'delta', 'delta %']);
  });
});

describe('a heap diff: what grew, what shrank, what is new and what is gone', () => {
  let viewer: string;
  let table: TopTable;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    viewer = await diffViewer('Heap', heapBase, heapNew);
    table = await apiJson(viewer, 'api/top');
    ({ page, problems } = await open(viewer));
    await page.locator('#top-table.diff #top-body tr').first().waitFor();
  }, 60_000);

  afterAll(async () => {
    expect(problems).toEqual([]);
    await page.close();
  });

  test('every row shows api/top\'s numbers, negative deltas with their sign, "-100%" for gone and "new" for new', async () => {
    expect(table.diff?.newTotal).toBeGreaterThan(0);
    const signed = (n: number, text: string) => (n > 0 ? `+${text}` : text);
    for (const row of table.rows.slice(0, 40)) {
      const d = row.diff;
      if (!d) throw new Error(`api/top's row ${row.name} has no diff`);
      const change = (c: number | null, now: number) => (c === null ? (now ? 'new' : '') : undefined);
      const cells = await rowCells(page, row.name);
      expect(cells[0]).toBe(row.name);
      expect([cells[1], cells[2], cells[3], cells[5], cells[6], cells[7]]).toEqual([
        d.newFlatText, d.baseFlatText, signed(row.flat, row.flatText), d.newCumText, d.baseCumText, signed(row.cum, row.cumText),
      ]);
      if (change(d.flatChange, d.newFlat) !== undefined) expect(cells[4]).toBe(change(d.flatChange, d.newFlat));
      else expect(cells[4]).toMatch(/^([+-]\d+(\.\d)?|0)%$/);
    }
    // main.allocSmall's 8 MiB were freed by the change (-100%); main.allocSession's were allocated by it (new).
    const small = await rowCells(page, 'main.allocSmall');
    expect(small[3]).toMatch(/^-\d/);
    expect(small[4]).toBe('-100%');
    expect((await rowCells(page, 'main.allocSession'))[4]).toBe('new');
    await screenshot(page, 'diff-heap-top');
  });

  test('what grew most is one click on delta; again, what shrank most; any column sorts', async () => {
    const shown = async () => (await rowNames(page)).slice(0, 20);
    // Unsorted, a diff's table is by flat delta already: what grew most first.
    expect(await shown()).toEqual(orderBy(table.rows, (r) => r.flat).slice(0, 20));
    await clickSort(page, 'cum');
    await eventually(shown, (names) => expect(names).toEqual(orderBy(table.rows, (r) => r.cum).slice(0, 20)));
    expect(new URL(page.url()).searchParams.get('sort')).toBe('cum');
    await clickSort(page, 'cum');
    await eventually(shown, (names) => expect(names).toEqual(orderBy(table.rows, (r) => -r.cum).slice(0, 20)));
    expect(new URL(page.url()).searchParams.get('sort')).toBe('-cum');
    expect(await page.locator('#top-table th[data-column="cum"]').getAttribute('aria-sort')).toBe('ascending');
    const firstCum = await rowCells(page, (await rowNames(page))[0]);
    expect(firstCum[7]).toMatch(/^-/);
    await screenshot(page, 'diff-heap-top-shrank-most');
    await clickSort(page, 'baseFlat');
    await eventually(shown, (names) => expect(names).toEqual(orderBy(table.rows, (r) => r.diff?.baseFlat ?? 0).slice(0, 20)));
    await clickSort(page, 'name');
    await eventually(shown, (names) => expect(names).toEqual([...table.rows.map((r) => r.name)].sort().slice(0, 20)));
  });

  test('delta % sorts new first, then by the change, gone last', async () => {
    await clickSort(page, 'cumChange');
    const changes = table.rows.map((r) => ({ name: r.name, value: r.diff?.cumChange ?? (r.diff?.newCum ? Infinity : NaN) }));
    const expected = changes
      .filter((c) => !Number.isNaN(c.value))
      .sort((a, b) => (b.value > a.value ? 1 : b.value < a.value ? -1 : 0) || (a.name < b.name ? -1 : 1))
      .map((c) => c.name);
    await eventually(() => rowNames(page), (names) => expect(names.slice(0, expected.length)).toEqual(expected));
    const cells = await page.locator('#top-body tr td.change:nth-child(9)').allTextContents();
    expect(cells.filter((c) => c !== '').at(-1)).toBe('-100%');
    expect(cells[0]).toBe('new');
  });
});

describe('a plain profile keeps its table', () => {
  test('flat, flat%, cum, cum%, function; no diff marker', async () => {
    const bytes = fs.readFileSync(goroutineNew.info.profilePath);
    const profile: ViewerProfile = {
      type: 'Goroutine',
      analysis: analyze(bytes, { maxBytes: 1 << 30 }),
      downloadName: 'default.plain.Goroutine.prof',
      source: goroutineNew.info.source,
      context: {},
      fetchedAt: new Date(),
      profilePath: goroutineNew.info.profilePath,
      goroutineDump: goroutineNew.dump,
    };
    const live = await registry.open(registry.reserve(), profile, 600);
    const viewer = `http://127.0.0.1:${live.port}`;
    expect((await apiJson(viewer, 'api/goroutines')).growth).toBeUndefined();
    const { page, problems } = await open(viewer);
    await page.locator('#top-body tr').first().waitFor();
    expect(await page.locator('#top-table thead th').allTextContents()).toEqual(['flat', 'flat%', 'cum', 'cum%', 'function']);
    expect(await page.locator('#top-body tr').first().locator('td').count()).toBe(5);
    expect(await page.locator('#diff-marker').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
