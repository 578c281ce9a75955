// One row per stored profile, newest first. Every name in a record comes from a request or a program: text only,
// through textContent (el), never markup.
import { el } from '../app/dom';
import { formatValue } from '../app/format';
import { comparePanel } from './compare-panel';
import { downloadHref, liveViewerHref, openViewer, ProfileRecord, viewerMsLeft } from './history-api';
import { localTime } from './history-query';

const COLUMNS = 11;
/** A viewer about to expire is not worth landing on: with under a minute left, a fresh one is opened instead. */
const WORTH_OPENING_MS = 60_000;

export function renderRows(body: HTMLTableSectionElement, records: ProfileRecord[]): void {
  body.replaceChildren(...records.map(row));
}

function row(record: ProfileRecord): HTMLTableRowElement {
  const tr = el('tr', { className: `history-row ${record.status}`, attrs: { 'data-id': record.id } }, [
    cell(localTime(record.fetchedAt), 'col-time', record.fetchedAt),
    cell(record.type, 'col-type'),
    statusCell(record),
    cell(record.service, 'col-service'),
    cell(record.pod ? `${record.pod.namespace}/${record.pod.name}` : '', 'col-pod'),
    cell(record.container ?? '', 'col-container'),
    cell(record.node ?? '', 'col-node'),
    cell(record.diagnosis ? [record.diagnosis.namespace, record.diagnosis.name].filter(Boolean).join('/') : '', 'col-diagnosis'),
    cell(record.sampleTypes.join(', '), 'col-samples'),
    cell(record.bytes === undefined ? '' : formatValue(record.bytes, 'bytes'), 'col-size num', record.bytes === undefined ? undefined : `${record.bytes} bytes`),
  ]);
  tr.append(actionsCell(record, tr));
  return tr;
}

function cell(text: string, className: string, title?: string): HTMLTableCellElement {
  return el('td', { className, text, title: title ?? (text.length > 24 ? text : undefined) });
}

function statusCell(record: ProfileRecord): HTMLTableCellElement {
  const td = el('td', { className: 'col-status' }, [el('span', { className: `status ${record.status}`, text: record.status })]);
  if (record.status === 'pending' && record.expectedAt) td.append(el('span', { className: 'muted status-note', text: ` until ${localTime(record.expectedAt)}`, title: record.expectedAt }));
  if (record.status === 'failed' && record.error) td.append(el('div', { className: 'status-error', text: record.error, title: record.error }));
  return td;
}

function actionsCell(record: ProfileRecord, tr: HTMLTableRowElement): HTMLTableCellElement {
  const actions = el('div', { className: 'row-actions' });
  const message = el('p', { className: 'error action-error', attrs: { role: 'alert' } });
  message.hidden = true;
  const left = viewerMsLeft(record);
  if (record.status === 'ready') {
    // The viewer it was first shown in, while it lives; else a fresh one (POST), which lasts the default expiry.
    let open: HTMLElement;
    if (left > WORTH_OPENING_MS) {
      open = el('a', { className: 'open-viewer', text: 'Open viewer', title: `its viewer, until ${localTime(record.viewer.expiresAt)}`, attrs: { href: liveViewerHref(record) } });
    } else {
      const button = el('button', { className: 'open-viewer', text: 'Open viewer', title: 'a fresh viewer on the stored profile', attrs: { type: 'button' } });
      button.addEventListener('click', () => openFresh(record, button, message));
      open = button;
    }
    const download = el('a', { className: 'download', text: 'Download', attrs: { href: downloadHref(record), download: '' } });
    const compare = el('button', { className: 'compare', text: 'Compare with…', attrs: { type: 'button', 'aria-expanded': 'false' } });
    compare.addEventListener('click', () => toggleCompare(record, tr, compare));
    actions.append(open, download, compare);
  } else if (record.status === 'pending' && left > 0) {
    actions.append(el('a', { className: 'open-viewer', text: 'Show progress', attrs: { href: liveViewerHref(record) } }));
  }
  return el('td', { className: 'col-actions' }, [actions, message]);
}

async function openFresh(record: ProfileRecord, button: HTMLButtonElement, message: HTMLElement): Promise<void> {
  button.disabled = true;
  button.textContent = 'Opening…';
  message.hidden = true;
  try {
    location.assign(await openViewer(record.id));
  } catch (error) {
    message.textContent = error instanceof Error ? error.message : String(error);
    message.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = 'Open viewer';
  }
}

function toggleCompare(record: ProfileRecord, tr: HTMLTableRowElement, button: HTMLButtonElement): void {
  const open = tr.nextElementSibling?.classList.contains('history-compare') ? tr.nextElementSibling : undefined;
  if (open) {
    open.remove();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  const td = el('td', { attrs: { colspan: String(COLUMNS) } }, [comparePanel(record)]);
  tr.after(el('tr', { className: 'history-compare' }, [td]));
  button.setAttribute('aria-expanded', 'true');
}
