// "Compare with…": a stored profile as the base of a diff. The processor takes the record's id (or its
// profile_path) as diff_base and compares a fresh capture with it; the panel gives the request, ready to paste.
import { el } from '../app/dom';
import { KEYS } from '../../src/parameters/schema';
import type { ProfileRecord } from './history-api';

/** The processor's address beside the page: /processor/goProfiler, under the same prefix as /profiles. */
export function processorUrl(): string {
  return new URL('processor/goProfiler', location.href).href;
}

/** A fresh capture of the record's source, of its type, compared with it: a curl command for a shell. */
export function compareCommand(record: ProfileRecord): string {
  const source = /^https?:\/\//i.test(record.source) ? record.source : '<the program\'s address, e.g. http://10.0.0.7:6060>';
  const body = JSON.stringify({ [KEYS.source]: source, [KEYS.type]: record.type, [KEYS.diffBase]: record.id });
  return `curl -X POST ${shellQuote(processorUrl())} -d ${shellQuote(body)}`;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function comparePanel(record: ProfileRecord): HTMLElement {
  const command = el('code', { className: 'compare-command', text: compareCommand(record) });
  const status = el('span', { className: 'muted copy-status', attrs: { 'aria-live': 'polite' } });
  const copy = el('button', { className: 'copy-command', text: 'Copy', attrs: { type: 'button' } });
  copy.addEventListener('click', () => copyText(command, status));
  return el('div', { className: 'compare-panel' }, [
    el('p', {}, [
      'To compare a new capture with this profile, pass its id or its path as ',
      el('code', { text: KEYS.diffBase }),
      ': the viewer then shows new − base.',
    ]),
    el('dl', { className: 'compare-ids' }, [
      el('div', {}, [el('dt', { text: 'id' }), el('dd', {}, [el('code', { className: 'compare-id', text: record.id })])]),
      ...(record.profilePath ? [el('div', {}, [el('dt', { text: 'path' }), el('dd', {}, [el('code', { className: 'compare-path', text: record.profilePath })])])] : []),
    ]),
    el('p', { text: `A fresh ${record.type} capture of the same source, compared with this one:` }),
    el('div', { className: 'compare-command-row' }, [el('pre', {}, [command]), copy, status]),
  ]);
}

/** The clipboard API needs a secure context (https or localhost); elsewhere the text is selected for Ctrl+C. */
async function copyText(node: HTMLElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(node.textContent ?? '');
    status.textContent = 'Copied';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy';
  }
}
