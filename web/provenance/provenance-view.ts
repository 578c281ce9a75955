import type { CaptureInfo, DiffInfo, ProfileInfo } from '../app/api-types';
import { byId, el } from '../app/dom';

/** pprof's own word for the CPU profile is "profile", which reads oddly in a title. */
const TITLES: Record<string, string> = { profile: 'CPU' };

/** Where the profile came from, so a link shared in an incident says what it shows. */
export function renderProvenance(info: ProfileInfo): void {
  const c = info.context;
  const pod = [c.podNamespace, c.podName].filter(Boolean).join('/');
  const kind = TITLES[info.type.toLowerCase()] ?? info.type;
  byId('title').textContent = `${kind} profile${pod ? ` · ${pod}` : ''}`;
  document.title = `${info.diff ? 'Diff · ' : ''}${kind} · ${pod || info.source} · go-profiler`;
  showDiffMarker(info.diff);
  const fields: Array<[string, string | undefined, string?]> = [
    ['Diagnosis', [c.diagnosisNamespace, c.diagnosisName].filter(Boolean).join('/')],
    ['Pod', pod],
    ['Container', c.container],
    ['Node', c.node],
    // A diff has two of each: its captures say them.
    ['Source', info.diff ? undefined : info.source],
    ['Time', info.diff ? undefined : formatTime(info.time ?? info.fetchedAt)],
    ['Normalized', info.diff ? (info.diff.normalized ? 'yes: new scaled to the base\'s total' : 'no') : undefined],
    ['Duration', info.durationSeconds ? `${+info.durationSeconds.toFixed(2)}s` : undefined],
    ['Sampling period', info.period?.text],
    ['Samples', info.samples.toLocaleString('en-US')],
    ['Binary', info.mainBinary?.file.split('/').pop(), info.mainBinary?.file],
    ['Build ID', shorten(info.mainBinary?.buildId, 16), info.mainBinary?.buildId],
  ];
  byId('provenance').replaceChildren(
    ...(info.diff ? [captureEntry('New', 'new', info.diff.new), captureEntry('Base (subtracted)', 'base', info.diff.base)] : []),
    ...fields
      .filter(([, value]) => value)
      .map(([label, value, title]) => el('div', { title }, [el('dt', { text: label }), el('dd', { text: value })])),
  );
  const comments = info.comments.filter(Boolean);
  byId('comments').textContent = comments.join(' · ');
}

/** A marker beside the title: every number on the page is new minus base, so a negative one is a drop. */
function showDiffMarker(diff: DiffInfo | undefined): void {
  document.getElementById('diff-marker')?.remove();
  if (!diff) return;
  const title = `Every value is the new capture's minus the base's, as pprof -diff_base shows it${diff.normalized ? '; the new capture was scaled to the base\'s total first' : ''}`;
  const marker = el('span', { className: 'badge diff-marker', text: 'Diff: new − base', title, attrs: { id: 'diff-marker' } });
  byId('title').after(marker);
}

/** One capture of a diff: where it came from, when, from which pod, and where it is stored. */
function captureEntry(label: string, role: 'new' | 'base', capture: CaptureInfo): HTMLElement {
  const when = formatTime(capture.time ?? capture.fetchedAt);
  const parts: Array<[string, string | undefined]> = [
    ['source', capture.source],
    ['time', when],
    ['pod', capture.pod],
    ['stored', capture.profilePath],
  ];
  const values = parts.filter(([, value]) => value).map(([part, value]) => el('dd', { text: value, title: value, attrs: { 'data-part': part } }));
  const title = `${label}: fetched ${formatTime(capture.fetchedAt)}${capture.time ? `, profile time ${when}` : ''}`;
  return el('div', { className: 'capture', title, attrs: { 'data-capture': role } }, [el('dt', { text: label }), ...values]);
}

function shorten(text: string | undefined, length: number): string | undefined {
  return text && text.length > length ? `${text.slice(0, length)}…` : text;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Counts down to the viewer's expiry: after it the link stops working, so people should download in time. */
export function startExpiryClock(info: ProfileInfo): void {
  const node = byId('expiry');
  const expires = Date.parse(info.expiresAt);
  const tick = () => {
    const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    node.classList.toggle('soon', left < 300);
    node.textContent = left === 0 ? 'Expired: download what you need' : `Expires in ${formatDuration(left)}`;
    node.title = `This viewer stops at ${new Date(expires).toLocaleString()}`;
  };
  tick();
  window.setInterval(tick, 1000);
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}
