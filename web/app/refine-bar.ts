import type { ProfileInfo } from './api-types';
import { ApiError } from './api-client';
import { byId, el } from './dom';
import { describeTagFocus } from '../labels/tag-focus';
import { RefineKey, TEXT_REFINE_KEYS, UrlState, ViewState } from './url-state';

/** Sample type, granularity, pprof's refine regexes and label options; every change goes through the URL. */
export class RefineBar {
  private readonly sample = byId<HTMLSelectElement>('sample');
  private readonly granularity = byId<HTMLSelectElement>('granularity');
  private readonly inputs = new Map(TEXT_REFINE_KEYS.map((key) => [key, byId<HTMLInputElement>(`refine-${key}`)]));

  constructor(
    private readonly state: UrlState,
    info: ProfileInfo,
  ) {
    this.sample.replaceChildren(...info.sampleTypes.map((t) => el('option', { text: `${t.type} · ${t.totalText}`, attrs: { value: t.type } })));
    this.granularity.replaceChildren(...info.granularities.map((g) => el('option', { text: g, attrs: { value: g } })));
    this.sample.addEventListener('change', () => state.updateRefine({ sample: this.valueUnlessDefault(this.sample.value, info.defaultSampleType) }));
    this.granularity.addEventListener('change', () => state.updateRefine({ granularity: this.valueUnlessDefault(this.granularity.value, 'functions') }));
    for (const [key, input] of this.inputs) {
      input.addEventListener('change', () => this.applyRegex(key, input.value.trim()));
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') this.applyRegex(key, input.value.trim());
      });
    }
    byId('refine-clear').addEventListener('click', () => state.updateRefine(Object.fromEntries(TEXT_REFINE_KEYS.map((k) => [k, '']))));
    byId('tagfocus-chip').addEventListener('click', () => state.updateRefine({ tagfocus: '' }));
    state.subscribe((next) => this.sync(next, info));
    this.sync(state.current, info);
  }

  /** Marks the input the server blamed (a bad regex is a 400 naming its key); true when it was a refine error. */
  showError(error: unknown): boolean {
    const key = error instanceof ApiError ? error.key : undefined;
    const input = key ? this.inputs.get(key as (typeof TEXT_REFINE_KEYS)[number]) : undefined;
    if (!input || !(error instanceof Error)) return false;
    input.setAttribute('aria-invalid', 'true');
    input.title = error.message;
    return true;
  }

  private applyRegex(key: RefineKey, value: string): void {
    if (value !== this.state.current.refine[key]) this.state.updateRefine({ [key]: value });
  }

  private valueUnlessDefault(value: string, fallback: string): string {
    return value === fallback ? '' : value;
  }

  private sync(state: ViewState, info: ProfileInfo): void {
    this.sample.value = state.refine.sample || info.defaultSampleType;
    this.granularity.value = state.refine.granularity || 'functions';
    let active = 0;
    for (const [key, input] of this.inputs) {
      if (document.activeElement !== input) input.value = state.refine[key];
      input.removeAttribute('aria-invalid');
      input.title = '';
      if (state.refine[key]) active++;
    }
    byId('refine-clear').hidden = active === 0;
    byId('refine').classList.toggle('active', active > 0);
    byId('refine-summary').textContent = active ? `Refine · ${active}` : 'Refine';
    // The label a click in the Labels view focused on, clearable from wherever the person is.
    const chip = byId('tagfocus-chip');
    chip.hidden = !state.refine.tagfocus;
    chip.textContent = `${describeTagFocus(state.refine.tagfocus)} ×`;
    chip.title = `tagfocus=${state.refine.tagfocus}: click to clear`;
  }
}
