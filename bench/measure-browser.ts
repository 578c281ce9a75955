import { Page } from 'playwright-core';
import { launchBrowser, pageTiming, waitForFlame } from '../test/support/browser';
import { request } from '../test/support/http-json';
import { Spread, spread } from './stats';

export interface BrowserFigures {
  firstPaintMs: Spread;
  zoomMs: Spread;
  searchMs: Spread;
}

/**
 * The viewer in real Chromium (Debian's, through playwright-core): time from navigation to the first painted flame
 * graph, then a zoom (click on a frame) and a regex search, from the page's own performance marks.
 */
export async function measureBrowser(serviceUrl: string, sourceUrl: string, runs: number): Promise<BrowserFigures> {
  const browser = await launchBrowser();
  const paint: number[] = [];
  const zoom: number[] = [];
  const search: number[] = [];
  try {
    const answer = await request(`${serviceUrl}/processor/goProfiler`, {
      body: { 'param.diagnoser.runtime.go_profiler.source': sourceUrl, 'param.diagnoser.runtime.go_profiler.type': 'Heap', 'param.diagnoser.runtime.go_profiler.expiration_seconds': '600' },
    });
    const url = answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'];
    for (let i = 0; i < runs; i++) {
      const page = await browser.context.newPage();
      await page.goto(url);
      await waitForFlame(page);
      paint.push((await pageTiming(page, 'flame:first-paint')) ?? NaN);
      zoom.push(await zoomOnce(page));
      search.push(await searchOnce(page, `f${10 + i}$`));
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { firstPaintMs: spread(paint), zoomMs: spread(zoom), searchMs: spread(search) };
}

async function zoomOnce(page: Page): Promise<number> {
  // Row 4 lies below runtime.main/main.main in these profiles: a frame with siblings, so the zoom changes the layout.
  await page.locator('#flame-canvas').click({ position: { x: 5, y: 4 * 18 + 9 } });
  await page.waitForFunction(() => performance.getEntriesByName('flame:zoom').length > 0);
  return (await pageTiming(page, 'flame:zoom')) ?? NaN;
}

async function searchOnce(page: Page, pattern: string): Promise<number> {
  await page.locator('#flame-search').fill(pattern);
  await page.waitForFunction(() => performance.getEntriesByName('flame:search').length > 0);
  return (await pageTiming(page, 'flame:search')) ?? NaN;
}
