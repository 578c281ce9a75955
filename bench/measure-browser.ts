import { Page } from 'playwright-core';
import { flameColumn, launchBrowser, pageTiming, waitForFlame } from '../test/support/browser';
import { request } from '../test/support/http-json';
import { Spread, spread } from './stats';

export interface BrowserFigures {
  firstPaintMs: Spread;
  zoomMs: Spread;
  searchMs: Spread;
  /** A fresh viewer's top table: from its request (made once the flame graph is painted) until its rows are painted. */
  topMs: Spread;
  /** A click on the top table's first row until the callers and callees of that function are painted. */
  peekMs: Spread;
}

/**
 * The viewer in real Chromium (Debian's, through playwright-core): time from navigation to the first painted flame
 * graph, then a zoom (click on a frame, until the server's cut for it is drawn) and a regex search (until the share
 * it covers, counted over every stack, is shown), the top table (until its rows are painted) and a peek (a click on
 * the table's first row until that function's callers and callees are painted), from the page's own performance
 * marks and measures.
 */
export async function measureBrowser(serviceUrl: string, sourceUrl: string, runs: number): Promise<BrowserFigures> {
  const browser = await launchBrowser();
  const paint: number[] = [];
  const zoom: number[] = [];
  const search: number[] = [];
  const top: number[] = [];
  const peek: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // A fresh viewer each run: the first paint is timed cold, with nothing computed for the page beforehand.
      const answer = await request(`${serviceUrl}/processor/goProfiler`, {
        body: { 'param.diagnoser.runtime.go_profiler.source': sourceUrl, 'param.diagnoser.runtime.go_profiler.type': 'Heap', 'param.diagnoser.runtime.go_profiler.expiration_seconds': '120' },
      });
      const url = answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'];
      const page = await browser.context.newPage();
      await page.goto(url);
      await waitForFlame(page);
      paint.push((await pageTiming(page, 'flame:first-paint')) ?? NaN);
      // The table is asked for once the flame graph is painted, so it does not hold that up.
      top.push(await firstEntry(page, 'top:shown'));
      zoom.push(await zoomOnce(page));
      // A function that appears all over the tree: every stack is searched.
      search.push(await searchOnce(page, `^main\\.f${10 + i}$`));
      peek.push(await afterNewEntry(page, 'peek:shown', () => page.locator('#top-body tr').first().click()));
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { firstPaintMs: spread(paint), zoomMs: spread(zoom), searchMs: spread(search), topMs: spread(top), peekMs: spread(peek) };
}

async function zoomOnce(page: Page): Promise<number> {
  // The frame above the deepest one at the left edge: narrower than the root, so zooming changes the layout.
  const column = await flameColumn(page, 3);
  const row = Math.max(1, column.length - 2);
  return afterNewEntry(page, 'flame:zoom', () => page.locator('#flame-canvas').click({ position: { x: 3, y: row * 18 + 9 } }));
}

async function searchOnce(page: Page, pattern: string): Promise<number> {
  return afterNewEntry(page, 'flame:search', () => page.locator('#flame-search').fill(pattern));
}

/** The duration of the first measure of that name the page makes by itself, waiting for it; NaN if none came. */
async function firstEntry(page: Page, name: string): Promise<number> {
  try {
    await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: 30_000 });
  } catch {
    console.warn(`[bench] ${name}: no measure within 30 s`);
    return NaN;
  }
  return page.evaluate((n) => performance.getEntriesByName(n)[0].duration, name);
}

/** Does an action and returns the duration of the measure it adds (the page also measures at load); NaN if none came. */
async function afterNewEntry(page: Page, name: string, action: () => Promise<void>): Promise<number> {
  const before = await page.evaluate((n) => performance.getEntriesByName(n).length, name);
  await action();
  try {
    await page.waitForFunction(([n, count]) => performance.getEntriesByName(n as string).length > (count as number), [name, before] as const, { timeout: 30_000 });
  } catch {
    console.warn(`[bench] ${name}: no new measure within 30 s`);
    return NaN;
  }
  return (await pageTiming(page, name)) ?? NaN;
}
