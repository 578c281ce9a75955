import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Page } from 'playwright-core';
import { Label } from 'pprof-format';
import { KEYS } from '../../src/parameters/schema';
import { formatPercent, formatValue } from '../../src/report/units';
import { RESULT } from '../../src/result/answer';
import { quoteRegex, tagFocusFor } from '../../web/labels/tag-focus';
import { eventually, flameRow, hoverFrame, injectionTraces, launchBrowser, screenshot, TestBrowser, textOf, waitForFlame, watchProblems } from '../support/browser';
import { request, serve } from '../support/http-json';
import { writeServerProfile } from '../support/server-program';
import { RunningService, startService } from '../support/service';
import { encodeGzipped, syntheticProfile } from '../support/synthetic-profile';

// The Labels view, tag options and compare as a person uses them: real Chromium, the real service, a real CPU profile
// whose samples carry pprof.Do labels (handler, tenant, worker) from the bench's server-shaped Go program.
interface LabelValue {
  value: string;
  total: number;
  share: number;
  formatted: string;
  hottest: { name: string; flat: number; formatted: string } | null;
}
interface LabelKey {
  key: string;
  numeric: boolean;
  total: number;
  values: LabelValue[];
}
interface Labels {
  sampleType: string;
  unit: string;
  total: number;
  keys: LabelKey[];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labels-browser-'));
let svc: RunningService;
let browser: TestBrowser;
const sources: Array<{ close(): Promise<void> }> = [];

/** A viewer for profile bytes, served by a source of its own. */
async function viewerOf(bytes: Buffer, type: string): Promise<string> {
  const source = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(bytes);
  });
  sources.push(source);
  const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: type, [KEYS.expirationSeconds]: '600' } });
  expect(answer.status).toBe(200);
  return answer.json()[`${RESULT}viewer_url`];
}

async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(url);
  return { page, problems };
}

const apiJson = async (viewer: string, pathAndQuery: string) => (await request(`${viewer}/${pathAndQuery}`)).json();
const param = (page: Page, key: string) => new URL(page.url()).searchParams.get(key);
const valueRow = (page: Page, key: string, value: string) => page.locator(`#labels-list .label-group[data-key="${key}"] tr[data-value="${value}"]`);

beforeAll(async () => {
  [svc, browser] = await Promise.all([startService(), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await Promise.all(sources.map((s) => s.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a tagfocus for one value quotes what pprof would read as regex or split at', () => {
  expect(quoteRegex('/api/v1.0/x+y,z')).toBe('/api/v1\\.0/x\\+y\\x2cz');
  expect(tagFocusFor('handler', '/healthz', false)).toBe('handler=^/healthz$');
});

describe('a CPU profile with pprof.Do labels', () => {
  let viewer: string;
  let labels: Labels;
  let page: Page;
  let problems: string[];
  const key = (name: string) => {
    const found = labels.keys.find((k) => k.key === name);
    if (!found) throw new Error(`api/labels has no key ${name}`);
    return found;
  };

  beforeAll(async () => {
    const file = await writeServerProfile('cpu', path.join(dir, 'cpu.pb.gz'), { seconds: 2, hz: 1000, paths: 200, 'min-depth': 8 });
    viewer = await viewerOf(fs.readFileSync(file), 'Profile');
    labels = await apiJson(viewer, 'api/labels');
    ({ page, problems } = await open(`${viewer}?view=labels`));
    await page.locator('#labels-list .label-group').first().waitFor();
  }, 300_000);

  afterAll(async () => {
    expect(problems).toEqual([]);
    await page.close();
  });

  test('the Labels view lists every key and its values with api/labels\' totals, shares and hottest functions', async () => {
    expect(labels.keys.map((k) => k.key)).toEqual(['handler', 'tenant', 'worker']);
    // Eight handlers; on a busy machine a short profile may miss one.
    expect(key('handler').values.length).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#labels-list .label-key').allTextContents()).toEqual(['handler', 'tenant', 'worker']);
    for (const k of labels.keys) {
      expect(k.values.reduce((sum, v) => sum + v.total, 0)).toBe(k.total);
      const rows = page.locator(`#labels-list .label-group[data-key="${k.key}"] tbody tr`);
      expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as { dataset: Record<string, string> }).dataset.value))).toEqual(k.values.map((v) => v.value));
      const cells = await rows.evaluateAll((trs) => trs.map((tr) => Array.from((tr as { children: ArrayLike<{ textContent: string }> }).children).map((td) => td.textContent)));
      expect(cells).toEqual(k.values.map((v) => [v.value, v.formatted, formatPercent(v.share, 1), v.hottest ? `${v.hottest.name} (${v.hottest.formatted})` : '']));
      for (const v of k.values) expect(v.share).toBeCloseTo(v.total / labels.total, 9);
    }
    await screenshot(page, 'labels-view');
  });

  test('a click on a value focuses every view on it, kept in the URL, shown and cleared in the refine bar', async () => {
    const first = key('handler').values[0];
    await valueRow(page, 'handler', first.value).click();
    await eventually(async () => param(page, 'tagfocus'), (value) => expect(value).toBe(`handler=^${quoteRegex(first.value)}$`));
    await eventually(() => textOf(page, '#tagfocus-chip'), (text) => expect(text).toBe(`handler = ${first.value} ×`));
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${first.formatted} of `));
    await page.locator('#tab-flame').click();
    await waitForFlame(page);
    await eventually(async () => {
      await hoverFrame(page, 300, 0);
      return textOf(page, '#flame-tooltip .tip-values');
    }, (text) => expect(text).toContain(`cum ${first.formatted} (`));
    const flame = await apiJson(viewer, `api/flamegraph?tagfocus=${encodeURIComponent(param(page, 'tagfocus') ?? '')}`);
    expect(flame.value[0]).toBe(first.total);
    expect(await page.locator('#refine-tagfocus').inputValue()).toBe(param(page, 'tagfocus'));
    await screenshot(page, 'labels-focused-flame');
  });

  test('a second value of the key compares the two side by side; the link reproduces it; Close goes back', async () => {
    const [first, second] = key('handler').values;
    await page.locator('#tab-labels').click();
    await valueRow(page, 'handler', second.value).click();
    const pane = (side: string) => page.locator(`#compare-panes [data-pane="${side}"]`);
    await eventually(() => pane('b').getAttribute('data-total'), (total) => expect(total).toBe(String(second.total)));
    expect(await pane('a').getAttribute('data-total')).toBe(String(first.total));
    expect(await pane('a').locator('.pane-total').textContent()).toMatch(new RegExp(`^${first.formatted.replace('.', '\\.')} · `));
    expect(await pane('b').locator('.pane-title').textContent()).toBe(`handler = ${second.value}`);
    expect(param(page, 'compare')).toBe(`handler=^${quoteRegex(second.value)}$`);
    expect(await page.locator('#side').isHidden()).toBe(true);
    await screenshot(page, 'labels-compare');

    await page.reload();
    await eventually(() => pane('b').getAttribute('data-total'), (total) => expect(total).toBe(String(second.total)));
    expect(await pane('a').getAttribute('data-total')).toBe(String(first.total));

    await page.locator('#compare-close').click();
    await page.locator('#labels-panel').waitFor();
    expect(param(page, 'compare')).toBeNull();
    expect(param(page, 'tagfocus')).toBe(`handler=^${quoteRegex(first.value)}$`);
    await page.locator('#tagfocus-chip').click();
    await eventually(async () => param(page, 'tagfocus'), (value) => expect(value).toBeNull());
    expect(await page.locator('#tagfocus-chip').isHidden()).toBe(true);
  });

  test('tagroot=handler from the flame graph\'s menu puts one tower per handler under the root', async () => {
    await page.locator('#tab-flame').click();
    await waitForFlame(page);
    await page.locator('#flame-tagroot').selectOption('handler');
    expect(param(page, 'tagroot')).toBe('handler');
    // pprof names a tagroot frame by the sample's value of the key.
    const handlers = key('handler').values.map((v) => v.value);
    await eventually(() => flameRow(page, 1), (names) => {
      expect(names.filter((n) => n !== '<unknown>' && n !== 'Frames too narrow to draw').sort()).toEqual([...handlers].sort()); // <unknown>: samples without one
    }, 20_000);
    expect(await hoverFrame(page, 1, 0)).toBe('root');
    await page.mouse.move(0, 0);
    await screenshot(page, 'labels-tagroot');
    await page.locator('#flame-tagroot').selectOption('');
    await eventually(async () => param(page, 'tagroot'), (value) => expect(value).toBeNull());
  });

  test('the refine bar takes the six tag options by pprof\'s names and sends them with every view', async () => {
    const dropped = key('handler').values[0];
    const ignore = tagFocusFor('handler', dropped.value, false);
    const top = await apiJson(viewer, `api/top?tagignore=${encodeURIComponent(ignore)}`);
    await page.locator('#refine summary').click();
    for (const name of ['tagfocus', 'tagignore', 'tagshow', 'taghide', 'tagroot', 'tagleaf']) expect(await page.locator(`#refine-${name}`).count()).toBe(1);
    await page.locator('#refine-tagignore').fill(ignore);
    await page.locator('#refine-tagignore').press('Enter');
    expect(param(page, 'tagignore')).toBe(ignore);
    const kept = top.rows.reduce((sum: number, row: { flat: number }) => sum + row.flat, 0);
    expect(kept).toBe(labels.total - dropped.total);
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`(${formatPercent(kept, labels.total)})`));
    expect(await textOf(page, '#refine-summary')).toBe('Refine · 1');
    await eventually(async () => {
      await hoverFrame(page, 300, 0);
      return textOf(page, '#flame-tooltip .tip-values');
    }, (text) => expect(text).toContain(`cum ${formatValue(kept, labels.unit)} (`));
    await page.mouse.move(0, 0);
    await page.locator('#refine-clear').click();
    await page.locator('#refine summary').click();
    await eventually(async () => param(page, 'tagignore'), (value) => expect(value).toBeNull());
  });
});

describe('a heap profile\'s numeric bytes label', () => {
  test('a click on a size focuses on it with pprof\'s numeric tagfocus', async () => {
    const heap = await viewerOf(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'profiles', 'heap.pb.gz')), 'heap');
    const labels: Labels = await apiJson(heap, 'api/labels');
    const bytes = labels.keys.find((k) => k.key === 'bytes');
    expect(bytes?.numeric).toBe(true);
    const size = bytes?.values[0];
    if (!size) throw new Error('no bytes values');
    const { page, problems } = await open(`${heap}?view=labels`);
    await valueRow(page, 'bytes', size.value).click();
    await eventually(async () => param(page, 'tagfocus'), (value) => expect(value).toBe(`bytes=${size.value}`));
    await eventually(() => textOf(page, '#top-summary'), (text) => expect(text).toContain(`${size.formatted} of `));
    expect((await apiJson(heap, `api/flamegraph?tagfocus=${encodeURIComponent(`bytes=${size.value}`)}`)).value[0]).toBe(size.total);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('labels from an untrusted program', () => {
  const HOSTILE = '<img src=x onerror=window.__pwned=1>';

  test('render as text, and a profile without labels says so', async () => {
    const labelled = syntheticProfile([['inuse_space', 'bytes']], [
      { stack: ['main.a', 'main.main'], values: [3 << 20] },
      { stack: ['main.b', 'main.main'], values: [1 << 20] },
    ]);
    const str = (text: string) => labelled.stringTable.dedup(text);
    labelled.sample[0].label = [new Label({ key: str(HOSTILE), str: str(HOSTILE) })];
    labelled.sample[1].label = [new Label({ key: str(HOSTILE), str: str('<b>bold</b>') })];
    const hostile = await viewerOf(encodeGzipped(labelled), 'heap');
    const { page, problems } = await open(`${hostile}?view=labels`);
    await eventually(() => textOf(page, '#labels-list .label-key'), (text) => expect(text).toBe(HOSTILE));
    expect(await page.locator('#labels-list td.label-value').allTextContents()).toEqual([HOSTILE, '<b>bold</b>']);
    expect(await injectionTraces(page)).toEqual({ pwned: undefined, images: 0, handlers: 0, scripts: 1, foreign: 0 });
    await screenshot(page, 'labels-hostile');

    const plain = syntheticProfile([['inuse_space', 'bytes']], [{ stack: ['main.a', 'main.main'], values: [1 << 20] }]);
    await page.goto(`${await viewerOf(encodeGzipped(plain), 'heap')}?view=labels`);
    await eventually(() => textOf(page, '#labels-list .labels-empty'), (text) => expect(text).toMatch(/^This profile's samples carry no labels\./));
    expect(await page.locator('#flame-tagroot-control').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
