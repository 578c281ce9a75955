// A viewer opened before its profile arrived (async=true): the page waits on api/status with a progress panel in
// place of the views, and the viewer starts without a reload once the profile is ready, or the panel says why not.
import { api, ApiError } from './api-client';
import type { CaptureStatus } from './api-types';
import { byId, el } from './dom';

const POLL_MS = 1000;

/**
 * Resolves true when the profile is there to show (at once for a viewer opened on one), false when the capture
 * failed (the panel says why). A page without api/status (the offline file, an older server: 404) is ready.
 */
export async function waitForCapture(): Promise<boolean> {
  let status = await firstStatus();
  if (!status || status.state === 'ready') return true;
  const panel = new CapturePanel();
  for (;;) {
    panel.show(status);
    if (status.state === 'ready') break;
    if (status.state === 'failed') return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      status = await api.status();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        panel.fail(error.message); // the viewer expired meanwhile
        return false;
      }
      panel.lostContact(error);
    }
  }
  panel.remove();
  return true;
}

async function firstStatus(): Promise<CaptureStatus | undefined> {
  try {
    return await api.status();
  } catch {
    // No status to go by: the viewer itself says what is wrong, if anything.
    return undefined;
  }
}

/** The panel: what is captured, a bar filling up to the expected time, and the seconds left. */
class CapturePanel {
  private readonly head = el('h2', { className: 'capture-head' });
  private readonly bar = el('div', { className: 'capture-bar' });
  private readonly track = el('div', { className: 'capture-track', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' } }, [this.bar]);
  private readonly left = el('p', { className: 'capture-left', attrs: { id: 'capture-left' } });
  private readonly error = el('p', { className: 'error capture-error', attrs: { id: 'capture-error', role: 'alert' } });
  private readonly note = el('p', { className: 'muted', text: 'The viewer opens here as soon as the profile arrives; keep this page open or come back to the same address.' });
  private readonly node = el('section', { className: 'capture-panel', attrs: { id: 'capture-panel', 'aria-live': 'polite' } }, [this.head, this.track, this.left, this.error, this.note]);

  constructor() {
    this.error.hidden = true;
    document.body.classList.add('capture-pending');
    byId('title').textContent = 'Capturing';
    document.title = 'Capturing · go-profiler';
    document.querySelector('header.masthead')?.after(this.node);
  }

  show(status: CaptureStatus): void {
    this.node.dataset.state = status.state;
    const total = Math.max(0, Date.parse(status.expectedAt) - Date.parse(status.startedAt)) / 1000;
    const done = status.state === 'capturing' && total > 0 ? Math.min(1, 1 - status.secondsLeft / total) : 1;
    this.bar.style.width = `${Math.round(done * 100)}%`;
    this.track.setAttribute('aria-valuenow', String(Math.round(done * 100)));
    this.track.classList.toggle('busy', status.state === 'analyzing' || (status.state === 'capturing' && status.secondsLeft === 0));
    this.head.textContent = `${sentence(status.message)}${status.state === 'failed' ? '' : '…'}`;
    this.left.textContent = secondsLeftText(status);
    if (status.state === 'failed') this.fail(status.error ?? 'the capture failed');
    else this.error.hidden = true;
  }

  fail(message: string): void {
    this.node.dataset.state = 'failed';
    this.track.hidden = true;
    this.note.hidden = true;
    this.left.textContent = '';
    this.error.textContent = message;
    this.error.hidden = false;
    byId('title').textContent = 'Capture failed';
    document.title = 'Capture failed · go-profiler';
  }

  lostContact(error: unknown): void {
    this.error.textContent = `Asking how the capture goes failed (${error instanceof Error ? error.message : String(error)}); trying again.`;
    this.error.hidden = false;
  }

  remove(): void {
    this.node.remove();
    document.body.classList.remove('capture-pending');
    byId('title').textContent = 'Profile';
  }
}

function secondsLeftText(status: CaptureStatus): string {
  if (status.state === 'analyzing') return 'The profile is in; analyzing it.';
  if (status.state !== 'capturing') return '';
  if (status.secondsLeft === 0) return 'Taking longer than expected: waiting for the program to answer.';
  return `${status.secondsLeft} s left`;
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
