import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Page } from 'playwright-core';
import { createLogger } from '../../src/log';
import { offlineViewerHtml } from '../../src/viewer/offline/offline-html';
import { PendingCapture } from '../../src/viewer/pending-capture';
import { LiveViewer, ViewerRegistry } from '../../src/viewer/registry';
import { eventually, goOffline, injectionTraces, launchBrowser, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';
import { request } from '../support/http-json';
import { viewerProfileOf } from '../support/viewer-profile';

// A viewer opened before its profile arrived (async=true), in real Chromium: the capture's progress, then the
// flame graph on the same page once the profile is ready, or the failure's text.
const CPU = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'profiles', 'cpu.pb.gz'));
const registry = new ViewerRegistry({ maxViewers: 8, bindAddress: '127.0.0.1', log: createLogger('silent') });
let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await registry.closeAll();
});

async function pendingViewer(seconds: number): Promise<{ pending: PendingCapture; live: LiveViewer; url: string }> {
  const pending = new PendingCapture({ expectedSeconds: seconds, what: `a ${seconds} s CPU profile` });
  const live = await registry.openPending(registry.reserve(), pending, 600);
  return { pending, live, url: `http://127.0.0.1:${live.port}` };
}

async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(url);
  return { page, problems };
}

const secondsLeft = async (page: Page) => Number(/^(\d+) s left$/.exec((await textOf(page, '#capture-left')) ?? '')?.[1]);

test('the progress while capturing, then the flame graph on the same page once the profile is ready', async () => {
  const { pending, url } = await pendingViewer(10);
  const { page, problems } = await open(url);
  await page.locator('#capture-panel').waitFor();
  expect(await textOf(page, '.capture-head')).toBe('Capturing a 10 s CPU profile…');
  expect(await page.locator('#flame-panel').isVisible()).toBe(false);
  const first = await secondsLeft(page);
  expect(first).toBeGreaterThanOrEqual(5);
  expect(first).toBeLessThanOrEqual(10);
  await eventually(() => secondsLeft(page), (left) => expect(left).toBeLessThanOrEqual(first - 2), 5000);
  const filled = await page.locator('.capture-track').getAttribute('aria-valuenow');
  expect(Number(filled)).toBeGreaterThanOrEqual(20);
  await screenshot(page, 'pending-viewer-capturing');

  pending.analyzing();
  await eventually(() => textOf(page, '.capture-head'), (head) => expect(head).toBe('Analyzing a 10 s CPU profile…'), 3000);
  const navigations: string[] = [];
  page.on('framenavigated', (frame) => navigations.push(frame.url()));
  pending.ready(viewerProfileOf(CPU, 'Profile'));
  await waitForFlame(page);
  expect(await page.locator('#capture-panel').count()).toBe(0);
  expect(await textOf(page, '#title')).toBe('CPU profile');
  expect(await page.locator('#top-body tr').count()).toBeGreaterThan(5);
  expect(navigations).toEqual([]); // no reload
  expect(problems).toEqual([]);
  await screenshot(page, 'pending-viewer-ready');
  await page.close();
}, 30_000);

test('a failed capture shows its error as text', async () => {
  const { pending, url } = await pendingViewer(30);
  const { page, problems } = await open(url);
  await page.locator('#capture-panel').waitFor();
  const why = 'fetching profile: http://10.0.0.7:6060/debug/pprof/profile answered 404 <img src=x onerror="window.__pwned=1">';
  pending.failed(why);
  await eventually(() => textOf(page, '#capture-error'), (text) => expect(text).toBe(why), 3000);
  expect(await page.locator('#capture-error').isVisible()).toBe(true);
  expect(await textOf(page, '#title')).toBe('Capture failed');
  expect(await page.locator('.capture-track').isVisible()).toBe(false);
  expect(await injectionTraces(page)).toMatchObject({ pwned: undefined, images: 0, handlers: 0 });
  // Polling stopped: no more status requests after the failure.
  const asked: string[] = [];
  page.on('request', (r) => asked.push(r.url()));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect(asked).toEqual([]);
  expect(problems).toEqual([]);
  await screenshot(page, 'pending-viewer-failed');
  await page.close();
}, 30_000);

test('while pending, api/status answers and every other route 503 with Retry-After; after a failure 500', async () => {
  const { pending, url } = await pendingViewer(20);
  const status = (await request(`${url}/api/status`)).json();
  expect(status).toMatchObject({ state: 'capturing', message: 'capturing a 20 s CPU profile' });
  expect(Date.parse(status.expectedAt) - Date.parse(status.startedAt)).toBe(20_000);
  expect(status.secondsLeft).toBeGreaterThanOrEqual(19);
  expect(status.secondsLeft).toBeLessThanOrEqual(20);
  expect(status.error).toBeUndefined();
  for (const route of ['api/profile', 'api/top', 'api/flamegraph', 'download', 'download/flamegraph.svg']) {
    const answer = await request(`${url}/${route}`);
    expect([route, answer.status]).toEqual([route, 503]);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(15);
    expect(answer.json()).toEqual({ error: expect.stringMatching(/^the profile is still being captured \((1[5-9]|20) s left\)$/), details: [] });
  }
  expect((await request(`${url}/`)).status).toBe(200);
  expect((await request(`${url}/app.js`)).status).toBe(200);
  expect((await request(`${url}/api/nothing`)).status).toBe(404);
  pending.analyzing();
  expect((await request(`${url}/api/top`)).json().error).toBe('the profile is being analyzed');

  pending.failed('decoding profile: not a gzip stream');
  const failed = await request(`${url}/api/profile`);
  expect(failed.status).toBe(500);
  expect(failed.json()).toEqual({ error: 'capturing the profile failed: decoding profile: not a gzip stream', details: [] });
  expect((await request(`${url}/api/status`)).json()).toMatchObject({ state: 'failed', secondsLeft: 0, error: 'decoding profile: not a gzip stream' });
  pending.ready(viewerProfileOf(CPU, 'Profile')); // too late: the first outcome stays
  expect((await request(`${url}/api/profile`)).status).toBe(500);
});

test('once ready, the same port serves the profile; a viewer opened on a profile is ready from the start', async () => {
  const { pending, url, live } = await pendingViewer(1);
  const profile = viewerProfileOf(CPU, 'Profile');
  pending.ready(profile);
  expect(live.profile).toBe(profile);
  expect((await request(`${url}/api/profile`)).json()).toMatchObject({ type: 'Profile', expiresAt: live.expiresAt.toISOString() });
  expect((await request(`${url}/api/status`)).json()).toMatchObject({ state: 'ready', secondsLeft: 0 });
  const plain = await registry.open(registry.reserve(), profile, 60);
  expect((await request(`http://127.0.0.1:${plain.port}/api/status`)).json()).toEqual({
    state: 'ready',
    startedAt: profile.fetchedAt.toISOString(),
    expectedAt: profile.fetchedAt.toISOString(),
    secondsLeft: 0,
    message: 'the profile is ready',
  });
  const { page, problems } = await open(`http://127.0.0.1:${plain.port}`);
  await waitForFlame(page);
  expect(await page.locator('#capture-panel').count()).toBe(0);
  expect(problems).toEqual([]);
  await page.close();
});

test('the offline file, which has no api/status, starts its viewer as before', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pending-viewer-offline-')), 'cpu.html');
  fs.writeFileSync(file, await offlineViewerHtml(viewerProfileOf(CPU, 'Profile')));
  const offline = await launchBrowser();
  try {
    await goOffline(offline);
    const page = await offline.context.newPage();
    const problems = watchProblems(page);
    await page.goto(pathToFileURL(file).href);
    await waitForFlame(page);
    expect(await page.locator('#capture-panel').count()).toBe(0);
    expect(await textOf(page, '#title')).toBe('CPU profile');
    expect(problems).toEqual([]);
  } finally {
    await offline.close();
  }
}, 60_000);
