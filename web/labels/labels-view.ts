import { api } from '../app/api-client';
import type { LabelKey, LabelsJson, LabelValue } from '../app/api-types';
import { byId, el, measureWhenPainted, onActivate } from '../app/dom';
import { formatPercent, formatValue } from '../app/format';
import { isComparing, refineQuery, UrlState, ViewState } from '../app/url-state';
import { describeTagFocus, tagFocusFor, tagFocusKey } from './tag-focus';

/** Values drawn per key; a key with more (request ids, say) says how many are left out. */
const MAX_VALUES = 200;

/**
 * The profile's label keys and, per key, its values with their totals, shares and hottest function. A click on a
 * value focuses every view on it (tagfocus); a click on another value of the same key compares the two.
 */
export class LabelsView {
  private readonly list = byId('labels-list');
  private readonly summary = byId('labels-summary');
  private loadToken = 0;

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    state.subscribe((next, previous) => {
      if (next.view !== 'labels' || isComparing(next)) return;
      const changed = refineQuery(next).toString() !== refineQuery(previous).toString() || next.compare !== previous.compare;
      if (changed || previous.view !== 'labels' || isComparing(previous)) void this.load(next);
    });
    if (state.current.view === 'labels' && !isComparing(state.current)) void this.load(state.current);
  }

  /**
   * The labels under the whole refinement; the focused key's own values come without its tagfocus, so that the
   * other values stay in the table to be compared with.
   */
  private async load(state: ViewState): Promise<void> {
    const started = performance.now();
    const token = ++this.loadToken;
    this.list.setAttribute('aria-busy', 'true');
    try {
      const refine = refineQuery(state);
      const focusKey = tagFocusKey(state.refine.tagfocus);
      const unfocused = new URLSearchParams(refine);
      unfocused.delete('tagfocus');
      const [labels, whole] = await Promise.all([api.labels(refine), focusKey ? api.labels(unfocused) : undefined]);
      if (token !== this.loadToken) return;
      const keys = labels.keys.map((k) => (k.key === focusKey ? (whole?.keys.find((w) => w.key === focusKey) ?? k) : k));
      this.render(state, labels, keys);
      measureWhenPainted('labels:shown', started);
    } catch (error) {
      if (token === this.loadToken) this.onError(error);
    } finally {
      if (token === this.loadToken) this.list.removeAttribute('aria-busy');
    }
  }

  private render(state: ViewState, labels: LabelsJson, keys: LabelKey[]): void {
    if (keys.length === 0) {
      this.summary.textContent = 'No labels';
      const why = state.refine.tagfocus || state.refine.tagignore || state.refine.tagshow || state.refine.taghide ? ' under this refinement' : '';
      this.list.replaceChildren(
        el('p', { className: 'labels-empty', text: `This profile's samples carry no labels${why}. Go adds them with pprof.Do or pprof.SetGoroutineLabels (CPU and goroutine profiles).` }),
      );
      return;
    }
    const focus = state.refine.tagfocus;
    const hint = focus ? `Focused on ${describeTagFocus(focus)}: click another value of its key to compare, the same one to clear` : 'Click a value to focus every view on it';
    this.summary.textContent = `${keys.length} ${keys.length === 1 ? 'label key' : 'label keys'} · ${labels.sampleType} · ${hint}`;
    this.list.replaceChildren(...keys.map((key) => this.keySection(state, labels, key)));
  }

  private keySection(state: ViewState, labels: LabelsJson, key: LabelKey): HTMLElement {
    const count = `${key.values.length} ${key.values.length === 1 ? 'value' : 'values'}`;
    const head = el('header', {}, [
      el('h3', { className: 'label-key', text: key.key }),
      el('span', { className: 'muted key-total', text: `${count} · ${formatValue(key.total, labels.unit)} (${formatPercent(key.total, labels.total)} of total)` }),
      ...(key.numeric ? [el('span', { className: 'badge', text: 'numeric' })] : []),
    ]);
    const rows = key.values.slice(0, MAX_VALUES).map((value) => this.valueRow(state, key, value));
    if (key.values.length > MAX_VALUES) {
      rows.push(el('tr', { className: 'more' }, [el('td', { text: `${key.values.length - MAX_VALUES} more values`, attrs: { colspan: '4' } })]));
    }
    const table = el('table', { className: 'label-values' }, [
      el('thead', {}, [el('tr', {}, [el('th', { text: 'value' }), el('th', { className: 'num', text: 'total' }), el('th', { text: 'share' }), el('th', { text: 'hottest function' })])]),
      el('tbody', {}, rows),
    ]);
    return el('section', { className: 'label-group', attrs: { 'data-key': key.key } }, [head, table]);
  }

  private valueRow(state: ViewState, key: LabelKey, value: LabelValue): HTMLTableRowElement {
    const focus = tagFocusFor(key.key, value.value, key.numeric);
    const compared = isComparing(state) && state.compare === focus;
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${Math.min(100, Math.max(0, value.share * 100))}%`;
    const hottest = value.hottest;
    const tr = el('tr', { attrs: { tabindex: '0', 'data-value': value.value, 'data-total': String(value.total), 'aria-selected': String(state.refine.tagfocus === focus || compared) } }, [
      el('td', { className: 'label-value', text: value.value, title: value.value }),
      el('td', { className: 'num', text: value.formatted }),
      el('td', { className: 'share' }, [el('span', { className: 'track' }, [bar]), el('span', { className: 'share-text', text: formatPercent(value.share, 1) })]),
      el('td', { className: 'fn', text: hottest ? `${hottest.name} (${hottest.formatted})` : '', title: hottest?.name }),
    ]);
    onActivate(tr, () => this.pick(key.key, focus));
    return tr;
  }

  /** Focus on a value; again to clear it; another value of the focused key compares the two. */
  private pick(key: string, focus: string): void {
    const current = this.state.current;
    if (current.refine.tagfocus === focus) this.state.updateRefine({ tagfocus: '' });
    else if (tagFocusKey(current.refine.tagfocus) === key) this.state.update({ compare: focus }, 'push');
    else this.state.updateRefine({ tagfocus: focus });
  }
}
