// Real headless Chromium (Debian's, via playwright-core) for the viewer's browser tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { REPO_ROOT } from './go-target';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  downloads: string;
  close(): Promise<void>;
}

/** One browser per test file, with a fresh profile directory and a 1280x720 window. */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-chromium-'));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-downloads-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 720 },
    acceptDownloads: true,
    downloadsPath: downloads,
    colorScheme: 'light',
  });
  return {
    context,
    downloads,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
      fs.rmSync(downloads, { recursive: true, force: true });
    },
  };
}

/**
 * Takes the browser off the network, as a laptop on a plane: every request but for file:, data: and blob: URLs is
 * aborted, and recorded in `attempted` (returned; an offline file must make none).
 */
export async function goOffline(browser: TestBrowser, attempted: string[] = []): Promise<string[]> {
  await browser.context.setOffline(true);
  await browser.context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob):/.test(url)) return route.continue();
    attempted.push(url);
    return route.abort();
  });
  return attempted;
}

/** Everything a page complained about: console errors, uncaught exceptions and CSP violations. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

// Functions handed to page.evaluate run in the browser, where these globals exist; Node's type-check has no DOM.
// (A string script would be simpler, but the viewer's CSP rightly forbids evaluating strings.)
declare const document: any;
declare const window: any;

export const FLAME_ROW_HEIGHT = 18;

/** Waits until the flame graph has drawn frames for the current data. */
export async function waitForFlame(page: Page): Promise<void> {
  await page.waitForFunction(() => Number(document.getElementById('flame-canvas')?.dataset.frames) > 0);
}

/** Hovers the flame graph at x (from the canvas's left) in a row; the tooltip's function name, or null. */
export async function hoverFrame(page: Page, x: number, row: number): Promise<string | null> {
  const box = await page.locator('#flame-canvas').boundingBox();
  if (!box) throw new Error('the flame graph canvas is not on screen');
  const px = x < 0 ? box.width + x : x;
  await page.mouse.move(box.x + px, box.y + row * FLAME_ROW_HEIGHT + FLAME_ROW_HEIGHT / 2);
  const tip = page.locator('#flame-tooltip');
  if (!(await tip.isVisible())) return null;
  return tip.locator('.tip-name').textContent();
}

/** The names down one column of the flame graph, root first: at the left edge, the hottest path. */
export async function flameColumn(page: Page, x: number): Promise<string[]> {
  const names: string[] = [];
  for (let row = 0; row < 60; row++) {
    const name = await hoverFrame(page, x, row);
    if (name === null) break;
    names.push(name);
  }
  await page.mouse.move(0, 0);
  return names;
}

/** The canvas pixel's RGB at CSS coordinates. */
export function canvasPixel(page: Page, x: number, y: number): Promise<number[]> {
  return page.evaluate(([cssX, cssY]) => {
    const canvas = document.getElementById('flame-canvas');
    const ratio = canvas.width / canvas.clientWidth;
    return Array.from(canvas.getContext('2d').getImageData(Math.round(cssX * ratio), Math.round(cssY * ratio), 1, 1).data.slice(0, 3)) as number[];
  }, [x, y]);
}

/** Milliseconds from navigation start to a performance mark the page set, or the duration of the last measure. */
export function pageTiming(page: Page, name: string): Promise<number | undefined> {
  return page.evaluate((entryName) => {
    const entries = performance.getEntriesByName(entryName);
    const last = entries[entries.length - 1];
    return last ? (last.entryType === 'mark' ? last.startTime : last.duration) : undefined;
  }, name);
}

/** What markup injection would leave behind: a global set by a handler, images, handler attributes, scripts. */
export function injectionTraces(page: Page): Promise<{ pwned: unknown; images: number; handlers: number; scripts: number; foreign: number }> {
  return page.evaluate(() => {
    const all: any[] = [...document.querySelectorAll('*')];
    return {
      pwned: window.__pwned,
      images: document.querySelectorAll('img').length,
      handlers: all.filter((e) => [...e.attributes].some((a: { name: string }) => a.name.toLowerCase().startsWith('on'))).length,
      scripts: document.querySelectorAll('script').length,
      foreign: document.querySelectorAll('foreignObject').length,
    };
  });
}

/** Polls `read` until `check` (jest expectations) passes; after `timeoutMs` the last failure is thrown. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check(await read());
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The text of the first element matching `selector`, or null when there is none. */
export async function textOf(page: Page, selector: string): Promise<string | null> {
  const locator = page.locator(selector).first();
  return (await locator.count()) ? locator.textContent() : null;
}

/** The distinct names along a flame graph row, left to right, read by hovering every few pixels. */
export async function flameRow(page: Page, row: number): Promise<string[]> {
  const box = await page.locator('#flame-canvas').boundingBox();
  if (!box) throw new Error('the flame graph canvas is not on screen');
  const names: string[] = [];
  for (let x = 1; x < box.width; x += 8) {
    const name = await hoverFrame(page, x, row);
    if (name !== null && name !== names.at(-1)) names.push(name);
  }
  await page.mouse.move(0, 0);
  return names;
}
