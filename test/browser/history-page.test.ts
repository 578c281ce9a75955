import { execFile } from 'node:child_process';
import fs from 'node:fs';
import httpProxy from 'http-proxy';
import { promisify } from 'node:util';
import { Page } from 'playwright-core';
import { KEYS } from '../../src/parameters/schema';
import { RESULT } from '../../src/result/answer';
import { eventually, injectionTraces, launchBrowser, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';
import { GoTarget, startGoTarget } from '../support/go-target';
import { request, serve } from '../support/http-json';
import { RunningService, startService } from '../support/service';

// The history page (GET /profiles in a browser) as a person uses it: real Chromium, the real service, profiles of
// the real Go program made with the executor's context keys. It lists them newest first, filters and pages with
// the filters in the URL, opens a fresh viewer, downloads the bytes and hands out a diff_base request that works.

const execFileAsync = promisify(execFile);
const HOSTILE = '<img src=x onerror=window.__pwned=1>';

let target: GoTarget;
let svc: RunningService;
let browser: TestBrowser;

interface Made {
  id: string;
  type: string;
  profilePath: string;
}

/** One capture, with KubeDiag's context keys, as the executor sends them. */
async function capture(type: string, context: Record<string, string>, extra: Record<string, string> = {}): Promise<Made> {
  const answer = await request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: type, [KEYS.expirationSeconds]: '600', ...context, ...extra },
  });
  expect(answer.status).toBe(200);
  const body = answer.json();
  return { id: body[`${RESULT}profile_id`], type, profilePath: body[`${RESULT}profile_path`] };
}

// In the order made; the page shows them the other way round. a's and e's viewers expire within the minute: their
// "Open viewer" opens a fresh one, where the others' lead to the viewer they were first shown in.
const SHORT = { [KEYS.expirationSeconds]: '50' };
let a: Made, b: Made, c: Made, d: Made, e: Made;
const newestFirst = () => [e, d, c, b, a].map((m) => m.id);

async function openPage(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${svc.url}/profiles${query}`);
  await page.locator('#history-table:not([aria-busy])').waitFor();
  return { page, problems };
}

const rowIds = (page: Page) => page.locator('#history-body tr.history-row').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id));
const row = (page: Page, made: Made) => page.locator(`#history-body tr[data-id="${made.id}"]`);
const query = (page: Page) => new URL(page.url()).searchParams;
const recordOf = async (made: Made) => (await request(`${svc.url}/profiles/${made.id}`)).json();

beforeAll(async () => {
  [target, svc, browser] = await Promise.all([startGoTarget(), startService(), launchBrowser()]);
  a = await capture('Heap', { 'pod.namespace': 'shop', 'pod.name': 'cart-1', 'diagnosis.namespace': 'default', 'diagnosis.name': 'incident-1', container: 'app', node: 'node-a' }, SHORT);
  b = await capture('Goroutine', { 'pod.namespace': 'shop', 'pod.name': 'cart-2', 'diagnosis.namespace': 'default', 'diagnosis.name': 'incident-2' });
  c = await capture('Heap', { 'pod.namespace': 'billing', 'pod.name': 'ledger-0', 'diagnosis.namespace': 'default', 'diagnosis.name': HOSTILE });
  d = await capture('Goroutine', { 'pod.namespace': 'billing', 'pod.name': 'ledger-0', 'diagnosis.namespace': 'default', 'diagnosis.name': 'incident-3' });
  e = await capture('Heap', { 'pod.namespace': 'trash', 'pod.name': 'gone-0', 'diagnosis.namespace': 'default', 'diagnosis.name': 'incident-4' }, SHORT);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await target?.stop();
});

test('lists the profiles newest first, each with its type, status, pod, diagnosis and size', async () => {
  const { page, problems } = await openPage();
  expect(await rowIds(page)).toEqual(newestFirst());
  const first = row(page, a);
  expect(await first.locator('.col-type').textContent()).toBe('Heap');
  expect(await first.locator('.col-status').textContent()).toBe('ready');
  expect(await first.locator('.col-pod').textContent()).toBe('shop/cart-1');
  expect(await first.locator('.col-container').textContent()).toBe('app');
  expect(await first.locator('.col-node').textContent()).toBe('node-a');
  expect(await first.locator('.col-diagnosis').textContent()).toBe('default/incident-1');
  expect(await first.locator('.col-samples').textContent()).toBe('alloc_objects, alloc_space, inuse_objects, inuse_space');
  expect(await first.locator('.col-size').textContent()).toMatch(/^\d+(\.\d+)?kB$/);
  expect(await row(page, b).locator('.col-samples').textContent()).toBe('goroutine');
  expect(await textOf(page, '#history-summary')).toBe('5 profiles');
  expect(await page.locator('#history-next').isVisible()).toBe(false);
  await screenshot(page, 'history');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'history-dark');
  expect(problems).toEqual([]);
  await page.close();
});

test('a name with markup is shown as text and runs nothing', async () => {
  const { page, problems } = await openPage();
  expect(await row(page, c).locator('.col-diagnosis').textContent()).toBe(`default/${HOSTILE}`);
  expect(await injectionTraces(page)).toEqual({ pwned: undefined, images: 0, handlers: 0, scripts: 1, foreign: 0 });
  expect(problems).toEqual([]);
  await page.close();
});

test('filters by type and pod narrow the rows, live in the URL, and come back on reload and Back', async () => {
  const { page, problems } = await openPage();
  await page.locator('#filter-type').selectOption('Goroutine');
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([d.id, b.id]));
  expect(query(page).get('type')).toBe('Goroutine');

  await page.locator('#filter-pod').fill('cart-2');
  await page.locator('#filter-apply').click();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([b.id]));
  expect(Object.fromEntries(query(page))).toEqual({ pod: 'cart-2', type: 'Goroutine' });

  // A shared link shows the same list, with the filters filled in.
  await page.reload();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([b.id]));
  expect(await page.locator('#filter-pod').inputValue()).toBe('cart-2');
  expect(await page.locator('#filter-type').inputValue()).toBe('Goroutine');

  await page.goBack();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([d.id, b.id]));
  expect(await page.locator('#filter-pod').inputValue()).toBe('');

  await page.locator('#filter-clear').click();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual(newestFirst()));
  expect(page.url()).toBe(`${svc.url}/profiles`);
  expect(problems).toEqual([]);
  await page.close();
});

test('a namespace and a time window from a link', async () => {
  const since: string = (await request(`${svc.url}/profiles/${c.id}`)).json().fetchedAt;
  const { page, problems } = await openPage(`?namespace=billing&since=${encodeURIComponent(since)}`);
  expect(await rowIds(page)).toEqual([d.id, c.id]);
  // The window is shown in the browser's local time, to the second (Chromium's value leaves out ":00" seconds, as
  // HTML's normalized form does): read back as the browser reads local times, it is the second of `since`.
  const shown = await page.locator('#filter-since').inputValue();
  expect(shown).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/);
  expect(await page.evaluate((local) => new Date(local).toISOString(), shown)).toBe(since.replace(/\.\d{3}Z$/, '.000Z'));
  await page.locator('#filter-namespace').fill('');
  await page.locator('#filter-apply').click();
  // Typed back from the input: the same second, the earlier profiles of that second too.
  await eventually(() => rowIds(page), (ids) => expect(ids.slice(0, 3)).toEqual([e.id, d.id, c.id]));
  expect(query(page).get('since')).toBe(since.replace(/\.\d{3}Z$/, 'Z'));
  expect(problems).toEqual([]);
  await page.close();
});

test('a bad filter in the URL shows the API\'s reason', async () => {
  const { page, problems } = await openPage('?since=yesterday');
  await eventually(() => textOf(page, '#history-error'), (text) => expect(text).toMatch(/^listing the profiles: .*since/));
  expect(await rowIds(page)).toEqual([]);
  // The browser logs the error status it was answered; nothing else.
  expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
  await page.close();
});

test('pages by the API\'s cursor with a small limit in the URL', async () => {
  const { page, problems } = await openPage('?limit=2');
  expect(await rowIds(page)).toEqual([e.id, d.id]);
  await page.locator('#history-next').click();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([c.id, b.id]));
  expect(query(page).get('limit')).toBe('2');
  expect(query(page).get('cursor')).toBeTruthy();
  await page.locator('#history-next').click();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([a.id]));
  expect(await page.locator('#history-next').isVisible()).toBe(false);
  await page.goBack();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([c.id, b.id]));
  await page.locator('#history-first').click();
  await eventually(() => rowIds(page), (ids) => expect(ids).toEqual([e.id, d.id]));
  expect(Object.fromEntries(query(page))).toEqual({ limit: '2' });
  expect(problems).toEqual([]);
  await page.close();
});

test('"Open viewer" opens a fresh viewer on the stored profile, under /viewer/ of the main port', async () => {
  const { page, problems } = await openPage();
  await row(page, a).locator('button.open-viewer').click();
  await page.waitForURL(/\/viewer\/[0-9a-f]{32}\/$/);
  expect(page.url().startsWith(`${svc.url}/viewer/`)).toBe(true);
  expect(page.url()).not.toContain((await recordOf(a)).viewer.id);
  await waitForFlame(page);
  await eventually(() => textOf(page, '#title'), (text) => expect(text).toMatch(/^Heap profile/));
  expect(await textOf(page, '#top-body tr td.fn')).toBe('main.allocBig');
  expect(await page.locator('#provenance').textContent()).toContain('default/incident-1');
  expect(problems).toEqual([]);
  await page.close();
});

test('"Open viewer" of a profile whose viewer still lives leads to that viewer', async () => {
  const { page, problems } = await openPage();
  const link = row(page, b).locator('a.open-viewer');
  expect(await link.getAttribute('href')).toBe(`viewer/${(await recordOf(b)).viewer.id}/`);
  await link.click();
  await page.waitForURL(`${svc.url}/viewer/${(await recordOf(b)).viewer.id}/`);
  await waitForFlame(page);
  await eventually(() => textOf(page, '#title'), (text) => expect(text).toMatch(/^Goroutine profile/));
  expect(problems).toEqual([]);
  await page.close();
});

test('"Open viewer" shows the reason when the service cannot open one', async () => {
  fs.rmSync(e.profilePath); // the stored profile is gone: nothing to show
  const { page, problems } = await openPage();
  await row(page, e).locator('button.open-viewer').click();
  const message = row(page, e).locator('.action-error');
  await message.waitFor();
  expect(await message.textContent()).toMatch(/^opening a viewer: /);
  expect(page.url()).toBe(`${svc.url}/profiles`);
  expect(problems.filter((p) => !/status of (404|500|503)/.test(p))).toEqual([]);
  await page.close();
});

test('"Download" gives the stored profile\'s bytes', async () => {
  const { page, problems } = await openPage();
  const [download] = await Promise.all([page.waitForEvent('download'), row(page, a).locator('a.download').click()]);
  const saved = await download.path();
  const bytes = fs.readFileSync(saved);
  expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  expect(bytes.equals(fs.readFileSync(a.profilePath))).toBe(true);
  expect(problems).toEqual([]);
  await page.close();
});

test('"Compare with…" gives the diff_base request: copied and run, it compares a fresh capture with this one', async () => {
  const { page, problems } = await openPage();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: svc.url });
  await row(page, a).locator('button.compare').click();
  const panel = page.locator('tr.history-compare');
  expect(await panel.locator('.compare-id').textContent()).toBe(a.id);
  expect(await panel.locator('.compare-path').textContent()).toBe(a.profilePath);
  await panel.locator('button.copy-command').click();
  await eventually(() => textOf(page, '.copy-status'), (text) => expect(text).toBe('Copied'));
  const command: string = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
  expect(command).toBe(await panel.locator('.compare-command').textContent());
  expect(command.startsWith(`curl -X POST ${svc.url}/processor/goProfiler -d '`)).toBe(true);
  await screenshot(page, 'history-compare');

  const { stdout } = await execFileAsync('bash', ['-c', `${command} --silent --show-error`], { timeout: 60_000 });
  const answer = JSON.parse(stdout);
  expect(answer[`${RESULT}diff_path`]).toBeTruthy();
  expect(JSON.parse(answer[`${RESULT}summary`]).diff.base).toBe(a.profilePath);

  await row(page, a).locator('button.compare').click();
  expect(await page.locator('tr.history-compare').count()).toBe(0);
  expect(problems).toEqual([]);
  await page.close();
}, 90_000);

describe('captures still running and captures that failed', () => {
  let source: { url: string; close(): Promise<void> };
  afterAll(() => source?.close());

  test('show as pending with when they end, and as failed with the error as text', async () => {
    source = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no profile here ${HOSTILE}`);
    });
    const async = { [KEYS.async]: 'true', [KEYS.durationSeconds]: '20' };
    const running = await capture('Profile', { 'pod.namespace': 'batch', 'pod.name': 'cruncher-0' }, async);
    const broken = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Profile', ...async, 'pod.namespace': 'batch', 'pod.name': 'broken-0' } });
    expect(broken.status).toBe(200);
    const failed = broken.json()[`${RESULT}profile_id`];
    await eventually(() => recordOf({ id: failed } as Made), (record) => expect(record.status).toBe('failed'));

    const { page, problems } = await openPage('?type=profile');
    expect(await rowIds(page)).toEqual([failed, running.id]);
    const pending = row(page, running);
    expect(await pending.locator('.status').textContent()).toBe('pending');
    const expectedAt = (await recordOf(running)).expectedAt;
    expect(await pending.locator('.status-note').textContent()).toBe(` until ${await page.evaluate((iso) => {
      const at = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
    }, expectedAt)}`);
    expect(await pending.locator('button.open-viewer, a.download, button.compare').count()).toBe(0);
    expect(await pending.locator('a.open-viewer').textContent()).toBe('Show progress');

    const error = row(page, { id: failed } as Made).locator('.status-error');
    expect(await row(page, { id: failed } as Made).locator('.status').textContent()).toBe('failed');
    expect(await error.textContent()).toBe((await recordOf({ id: failed } as Made)).error);
    expect(await error.textContent()).toContain('404');
    expect(await injectionTraces(page)).toMatchObject({ pwned: undefined, images: 0, handlers: 0 });
    await screenshot(page, 'history-pending-failed');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('under a path prefix, as behind an Ingress that strips it', () => {
  let front: { url: string; close(): Promise<void> };
  const proxy = httpProxy.createProxyServer({});
  afterAll(async () => {
    await front?.close();
    proxy.close();
  });

  test('the page, its script, the API, the viewers and the processor all resolve under the prefix', async () => {
    front = await serve((req, res) => {
      if (!req.url?.startsWith('/gp/')) {
        res.writeHead(404).end('outside the prefix');
        return;
      }
      req.url = req.url.slice('/gp'.length);
      proxy.web(req, res, { target: svc.url });
    });
    const page = await browser.context.newPage();
    const problems = watchProblems(page);
    const outside: string[] = [];
    page.on('request', (r) => new URL(r.url()).pathname.startsWith('/gp/') || outside.push(r.url()));
    await page.goto(`${front.url}/gp/profiles?type=heap`);
    // After the diff "Compare with…" made above.
    await eventually(() => rowIds(page), (ids) => expect(ids.slice(-3)).toEqual([e.id, c.id, a.id]));

    await row(page, a).locator('button.compare').click();
    expect(await textOf(page, '.compare-command')).toMatch(new RegExp(`^curl -X POST ${front.url}/gp/processor/goProfiler -d '`));

    await row(page, c).locator('a.open-viewer').click();
    await page.waitForURL(`${front.url}/gp/viewer/${(await recordOf(c)).viewer.id}/`);
    await waitForFlame(page);

    await page.goBack();
    await row(page, a).locator('button.open-viewer').click();
    await page.waitForURL(new RegExp(`^${front.url}/gp/viewer/[0-9a-f]{32}/$`));
    await waitForFlame(page);
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
