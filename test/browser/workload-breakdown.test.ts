import { Page } from 'playwright-core';
import { KEYS } from '../../src/parameters/schema';
import { RESULT } from '../../src/result/answer';
import { eventually, flameRow, hoverFrame, launchBrowser, screenshot, TestBrowser, waitForFlame, watchProblems } from '../support/browser';
import { goTargetPodSpec, waitListening } from '../support/cluster/go-target-pod';
import { ProfilerOnCluster, startProfilerOnCluster } from '../support/cluster/profiler-on-cluster';
import { buildGoTarget } from '../support/go-target';
import { request } from '../support/http-json';

// The per-pod breakdown of a whole Deployment as a person sees it: the real control plane's controllers create the
// pods (run as local processes by the node agent, which stands in for a container runtime), the service profiles
// and merges them, and real Chromium shows the Labels view and the flame graph with tagroot=pod.
const NS = 'apps';
let c: ProfilerOnCluster;
let browser: TestBrowser;
let page: Page;
let problems: string[];
let viewer: string;
let targets: Array<{ pod: string; total: number; outcome: string }>;

beforeAll(async () => {
  [c, browser] = await Promise.all([startProfilerOnCluster(), launchBrowser()]);
  const binary = await buildGoTarget();
  await c.cluster.apply(JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'shop', namespace: NS },
    spec: { replicas: 3, selector: { matchLabels: { app: 'shop' } }, template: { metadata: { labels: { app: 'shop' } }, spec: goTargetPodSpec(binary, { node: 'node-b', cpuDuty: 10 }) } },
  }));
  let names: string[] = [];
  const deadline = Date.now() + 60_000;
  while (names.length !== 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    names = (await c.cluster.getJson(['-n', NS, 'get', 'pods', '-l', 'app=shop'])).items.map((p: { metadata: { name: string } }) => p.metadata.name);
  }
  for (const name of names) await waitListening(c.cluster, NS, name);
  const answer = await c.profile({ [KEYS.type]: 'heap', [KEYS.targetNamespace]: NS, [KEYS.targetWorkload]: 'deployment/shop', [KEYS.expirationSeconds]: '600' });
  expect([answer.status, answer.status === 200 ? '' : answer.json().error]).toEqual([200, '']);
  viewer = answer.json()[`${RESULT}viewer_url`];
  targets = JSON.parse(answer.json()[`${RESULT}targets`]);
  page = await browser.context.newPage();
  problems = watchProblems(page);
}, 180_000);

afterAll(async () => {
  // Foreground: the command returns once the pods are gone, so no process of theirs outlives the suite.
  await c?.cluster.kubectl(['-n', NS, 'delete', 'deployment', 'shop', '--ignore-not-found', '--cascade=foreground', '--timeout=60s']);
  await browser?.close();
  await c?.stop();
  if (page) expect(problems).toEqual([]);
});

test('the Labels view breaks the merged profile down per pod: each pod\'s total (the answer\'s), share and hottest function', async () => {
  expect(targets.map((t) => t.outcome)).toEqual(['ok', 'ok', 'ok']);
  const labels = (await request(`${viewer}/api/labels`)).json();
  const pod = labels.keys.find((k: { key: string }) => k.key === 'pod');
  expect(pod.values.map((v: { value: string; total: number }) => [v.value, v.total]).sort()).toEqual(targets.map((t) => [t.pod, t.total]).sort());

  await page.goto(`${viewer}?view=labels`);
  const rows = page.locator('#labels-list .label-group[data-key="pod"] tbody tr');
  await rows.first().waitFor();
  const cells = await rows.evaluateAll((trs) => trs.map((tr) => Array.from((tr as { children: ArrayLike<{ textContent: string }> }).children).map((td) => td.textContent)));
  expect(cells.map((row) => row[0])).toEqual(pod.values.map((v: { value: string }) => v.value));
  expect(cells.map((row) => row[3])).toEqual(pod.values.map((v: { hottest: { name: string; formatted: string } }) => `${v.hottest.name} (${v.hottest.formatted})`));
  const keys = await page.locator('#labels-list .label-key').allTextContents();
  // Heap samples carry Go's own numeric label bytes beside the four the merge adds.
  expect(keys).toEqual(['bytes', 'container', 'namespace', 'node', 'pod']);
  await screenshot(page, 'workload-breakdown');
});

test('tagroot=pod gives the flame graph one tower per pod', async () => {
  await page.goto(`${viewer}?view=flame`);
  await waitForFlame(page);
  await page.locator('#flame-tagroot').selectOption('pod');
  await eventually(() => flameRow(page, 1), (names) => expect(names.filter((n) => n !== 'Frames too narrow to draw').sort()).toEqual(targets.map((t) => t.pod).sort()), 20_000);
  expect(await hoverFrame(page, 1, 0)).toBe('root');
  await screenshot(page, 'workload-tagroot-pod');
});
