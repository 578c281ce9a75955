import { api } from '../app/api-client';
import type { GoroutineGroup, Goroutines } from '../app/api-types';
import { byId, el } from '../app/dom';
import { refineQuery, TAG_REFINE_KEYS, UrlState, ViewState } from '../app/url-state';

/** Frames of the Go runtime: a group is titled by the first frame that is the program's own. */
const RUNTIME_FRAME = /^(runtime|internal|sync|syscall|time|os|net|io|bufio|reflect)(\/[^.]*)?\./;

/** Goroutines grouped by identical stack and state, largest group first, with the longest wait. */
export class GoroutinesView {
  private readonly list = byId('goroutines-list');
  private readonly summary = byId('goroutines-summary');
  private loadedFor?: string;

  constructor(
    private readonly state: UrlState,
    private readonly onError: (error: unknown) => void,
  ) {
    state.subscribe((next) => this.show(next));
    this.show(state.current);
  }

  private show(state: ViewState): void {
    if (state.view !== 'goroutines') return;
    const query = dumpQuery(state);
    const key = query.toString();
    if (key === this.loadedFor) return;
    this.loadedFor = key;
    const unlabelled = TAG_REFINE_KEYS.some((k) => state.refine[k]);
    api.goroutines(query).then(
      (answer) => this.render(answer, unlabelled),
      (error) => {
        this.loadedFor = undefined;
        this.onError(error);
      },
    );
  }

  private render(answer: Goroutines, unlabelled: boolean): void {
    const groups = [...answer.groups].sort((a, b) => b.count - a.count || b.waitMinutesMax - a.waitMinutesMax);
    this.summary.textContent = `${answer.total} goroutines in ${groups.length} groups`;
    const note = answer.available ? [] : [el('p', { className: 'muted', text: 'No goroutine dump was fetched with this profile: states and waits are unknown.' })];
    if (unlabelled) note.push(el('p', { className: 'muted', text: 'The goroutine dump carries no labels: the label options (tagfocus, ...) do not apply here.' }));
    this.list.replaceChildren(...note, ...groups.map((group) => groupCard(group, (fn) => this.state.update({ fn, view: 'flame' }, 'push'))));
  }
}

/** The dump has no labels, and the server refuses label options for it. */
function dumpQuery(state: ViewState): URLSearchParams {
  const query = refineQuery(state);
  for (const key of TAG_REFINE_KEYS) query.delete(key);
  return query;
}

function groupCard(group: GoroutineGroup, select: (fn: string) => void): HTMLElement {
  const own = group.stack.find((frame) => !RUNTIME_FRAME.test(frame.function)) ?? group.stack[0];
  const header = el('header', {}, [
    el('span', { className: 'count', text: String(group.count) }),
    el('span', { className: 'group-fn', text: own?.function ?? '(no stack)' }),
    el('span', { className: 'state', text: group.state || 'unknown state' }),
    group.waitText ? el('span', { className: 'wait', text: `waiting up to ${group.waitText}` }) : el('span'),
  ]);
  const frames = group.stack.map((frame) => {
    const name = el('button', { className: 'frame-fn', text: frame.function, attrs: { type: 'button' } });
    name.addEventListener('click', () => select(frame.function));
    return el('li', { className: RUNTIME_FRAME.test(frame.function) ? 'runtime' : '' }, [name, el('span', { className: 'frame-file', text: `${frame.file}:${frame.line}` })]);
  });
  const stack = el('ol', { className: 'stack' }, frames);
  const created = group.createdBy ? [el('div', { className: 'created-by', text: `created by ${group.createdBy}` })] : [];
  return el('article', { className: 'goroutine-group', attrs: { 'data-count': String(group.count), 'data-function': own?.function } }, [header, stack, ...created]);
}
