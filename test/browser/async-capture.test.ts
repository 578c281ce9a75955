import { Page } from 'playwright-core';
import { KEYS } from '../../src/parameters/schema';
import { RESULT } from '../../src/result/answer';
import { GoTarget, startGoTarget } from '../support/go-target';
import { request } from '../support/http-json';
import { RunningService, startService } from '../support/service';
import { eventually, launchBrowser, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';

// async=true on the real service: a 10 s CPU profile of a real Go program, the answer at once, the capture's
// progress in real Chromium, then the profile on the same page; the history follows it from pending to ready.
let target: GoTarget;
let svc: RunningService;
let browser: TestBrowser;

beforeAll(async () => {
  [target, svc, browser] = await Promise.all([startGoTarget({ cpuDuty: 30 }), startService(), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await target?.stop();
});

const secondsLeft = async (page: Page) => Number(/^(\d+) s left$/.exec((await textOf(page, '#capture-left')) ?? '')?.[1]);
const record = async (id: string) => (await request(`${svc.url}/profiles/${id}`)).json();

test('a 10 s CPU profile: the answer at once, the progress in Chromium, then the flame graph; pending, then ready in the history', async () => {
  const asked = Date.now();
  const answer = await request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '10', [KEYS.async]: 'true', 'pod.name': 'gotarget-0', 'diagnosis.name': 'slow' },
  });
  expect(answer.status).toBe(200);
  expect(Date.now() - asked).toBeLessThan(3000);
  const body = answer.json();
  expect(Object.values(body).every((v) => typeof v === 'string')).toBe(true);
  expect(body[`${RESULT}endpoint`]).toMatch(/^Visit http:\/\/127\.0\.0\.1:\d+, this server will expire in \d+ seconds\.$/);
  expect(body[`${RESULT}async`]).toBe('true');
  expect(body[`${RESULT}summary`]).toBeUndefined();
  expect(Date.parse(body[`${RESULT}expected_at`]) - asked).toBeGreaterThan(8000);
  const id = body[`${RESULT}profile_id`];
  expect(await record(id)).toMatchObject({ status: 'pending', type: 'Profile', diagnosis: { name: 'slow' } });
  const pendingRow = (await request(`${svc.url}/profiles?type=Profile`)).json().profiles.find((p: { id: string }) => p.id === id);
  expect(pendingRow.status).toBe('pending');

  const viewer = body[`${RESULT}viewer_url`];
  const status = (await request(`${viewer}/api/status`)).json();
  expect(status.state).toBe('capturing');
  expect(status.secondsLeft).toBeGreaterThanOrEqual(6);
  const early = await request(`${viewer}/api/top`);
  expect(early.status).toBe(503);
  expect(early.json().error).toMatch(/still being captured \(\d+ s left\)/);

  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(viewer);
  await page.locator('#capture-panel').waitFor();
  expect(await textOf(page, '.capture-head')).toBe('Capturing a 10 s CPU profile…');
  const first = await secondsLeft(page);
  await eventually(() => secondsLeft(page), (left) => expect(left).toBeLessThanOrEqual(first - 2), 6000);
  await screenshot(page, 'async-capture-progress');
  await waitForFlame(page);
  // The page names the profile once api/profile answers, which it asks after the flame graph's first paint.
  await eventually(() => textOf(page, '#title'), (title) => expect(title).toBe('CPU profile · gotarget-0'), 5000);
  expect(await page.locator('#top-body tr').count()).toBeGreaterThan(0);
  expect(problems).toEqual([]);
  await page.close();

  const ready = await record(id);
  expect(ready.status).toBe('ready');
  expect(ready.sampleTypes).toEqual(['samples', 'cpu']);
  expect(ready.profilePath).toMatch(/\.Profile\.prof$/);
  expect((await request(`${viewer}/api/status`)).json().state).toBe('ready');
}, 60_000);

test('a capture that fails: the viewer and the history say why, and the service goes on', async () => {
  const answer = await request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: 'http://127.0.0.1:9/debug/pprof/', [KEYS.type]: 'Heap', [KEYS.async]: true },
  });
  expect(answer.status).toBe(200);
  const body = answer.json();
  const viewer = body[`${RESULT}viewer_url`];
  await eventually(async () => (await request(`${viewer}/api/status`)).json(), (s) => expect(s.state).toBe('failed'), 10_000);
  const status = (await request(`${viewer}/api/status`)).json();
  expect(status.error).toMatch(/127\.0\.0\.1:9/);
  const top = await request(`${viewer}/api/top`);
  expect(top.status).toBe(500);
  expect(top.json().error).toContain(status.error);
  // The record follows the viewer (it is written just after).
  await eventually(() => record(body[`${RESULT}profile_id`]), (r) => expect(r).toMatchObject({ status: 'failed', error: status.error }), 5000);
  expect((await request(`${svc.url}/healthz`)).status).toBe(200);
}, 30_000);

test('async that is not a flag is a 400 naming the key', async () => {
  const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: target.url, [KEYS.type]: 'Heap', [KEYS.async]: 'soon' } });
  expect(answer.status).toBe(400);
  expect(answer.json().details.map((d: { key: string }) => d.key)).toContain(KEYS.async);
});
