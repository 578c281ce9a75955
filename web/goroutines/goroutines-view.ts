import { api } from '../app/api-client';
import type { GoroutineFrame, GoroutineGroup, GoroutineGrowth, GoroutineGrowthReport, Goroutines } from '../app/api-types';
import { byId, el } from '../app/dom';
import { refineQuery, TAG_REFINE_KEYS, UrlState, ViewState } from '../app/url-state';

/** Frames of the Go runtime: a group is titled by the first frame that is the program's own. */
const RUNTIME_FRAME = /^(runtime|internal|sync|syscall|time|os|net|io|bufio|reflect)(\/[^.]*)?\./;

/** Goroutines grouped by identical stack and state, largest group first, with the longest wait; in a diff, what grew. */
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
    const growth = answer.growth;
    const since = growth ? ` · ${growth.baseTotal} at ${clockTime(growth.baseFetchedAt)} (${signed(answer.total - growth.baseTotal)})` : '';
    this.summary.textContent = `${answer.total} goroutines in ${groups.length} groups${since}`;
    const note = answer.available ? [] : [el('p', { className: 'muted', text: 'No goroutine dump was fetched with this profile: states and waits are unknown.' })];
    if (unlabelled) note.push(el('p', { className: 'muted', text: 'The goroutine dump carries no labels: the label options (tagfocus, ...) do not apply here.' }));
    const select = (fn: string) => this.state.update({ fn, view: 'flame' }, 'push');
    const cards = groups.map((group) => groupCard(group, select));
    if (growth) cards.unshift(el('h2', { className: 'refine-head goroutines-head', text: 'Now, in the new capture' }));
    this.list.replaceChildren(...note, ...(growth ? growthList(growth, select) : []), ...cards);
  }
}

/** A diff's goroutine groups that grew since the base capture, biggest growth first: a leak shows at the top. */
function growthList(growth: GoroutineGrowthReport, select: (fn: string) => void): HTMLElement[] {
  const since = clockTime(growth.baseFetchedAt);
  const grew = growth.groups.filter((g) => g.growth > 0).length;
  const title = grew ? `${grew} group${grew === 1 ? '' : 's'} grew since ${since}` : `No group grew since ${since}`;
  const head = el('h2', { className: 'refine-head goroutines-head', text: title, attrs: { id: 'goroutines-growth' } });
  return [head, ...growth.groups.map((entry) => growthRow(entry, since, select))];
}

const CHANGE_NOTES: Record<GoroutineGrowth['change'], string> = { grew: '', new: 'new', shrank: 'shrank', gone: 'gone' };

/** "+40 in chan receive at main.go:374 (main.leakRequest) since 18:02", then the counts and the longest wait now. */
function growthRow(entry: GoroutineGrowth, since: string, select: (fn: string) => void): HTMLElement {
  const own = ownFrame(entry.stack);
  const where = own ? ` at ${own.file.split('/').pop()}:${own.line} (${own.function})` : '';
  const note = CHANGE_NOTES[entry.change];
  const header = el('header', {}, [
    el('span', { className: 'count', text: signed(entry.growth) }),
    el('span', { className: 'growth-text', text: `in ${entry.state || 'unknown state'}${where} since ${since}` }),
    el('span', { className: 'muted', text: `${entry.then} then, ${entry.now} now` }),
    note ? el('span', { className: 'state', text: note }) : el('span'),
    entry.waitText ? el('span', { className: 'wait', text: `waiting up to ${entry.waitText}` }) : el('span'),
  ]);
  const stack = el('details', { className: 'growth-stack' }, [el('summary', { text: 'stack' }), stackList(entry.stack, select)]);
  const attrs = { 'data-change': entry.change, 'data-growth': String(entry.growth), 'data-function': own?.function };
  return el('article', { className: `goroutine-group growth ${entry.change}`, attrs }, [header, stack]);
}

/** "+40", "-3": a loss keeps its sign. */
function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** The base capture's time as a clock reads it (with the date when it was not today). */
function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return date.toDateString() === new Date().toDateString() ? time : `${date.toLocaleDateString(undefined, { dateStyle: 'medium' })} ${time}`;
}

function ownFrame(stack: GoroutineFrame[]): GoroutineFrame | undefined {
  return stack.find((frame) => !RUNTIME_FRAME.test(frame.function)) ?? stack[0];
}

/** The dump has no labels, and the server refuses label options for it. */
function dumpQuery(state: ViewState): URLSearchParams {
  const query = refineQuery(state);
  for (const key of TAG_REFINE_KEYS) query.delete(key);
  return query;
}

function groupCard(group: GoroutineGroup, select: (fn: string) => void): HTMLElement {
  const own = ownFrame(group.stack);
  const header = el('header', {}, [
    el('span', { className: 'count', text: String(group.count) }),
    el('span', { className: 'group-fn', text: own?.function ?? '(no stack)' }),
    el('span', { className: 'state', text: group.state || 'unknown state' }),
    group.waitText ? el('span', { className: 'wait', text: `waiting up to ${group.waitText}` }) : el('span'),
  ]);
  const stack = stackList(group.stack, select);
  const created = group.createdBy ? [el('div', { className: 'created-by', text: `created by ${group.createdBy}` })] : [];
  return el('article', { className: 'goroutine-group', attrs: { 'data-count': String(group.count), 'data-function': own?.function } }, [header, stack, ...created]);
}

/** Leaf first; a click on a frame shows that function in the flame graph. */
function stackList(stack: GoroutineFrame[], select: (fn: string) => void): HTMLElement {
  const frames = stack.map((frame) => {
    const name = el('button', { className: 'frame-fn', text: frame.function, attrs: { type: 'button' } });
    name.addEventListener('click', () => select(frame.function));
    return el('li', { className: RUNTIME_FRAME.test(frame.function) ? 'runtime' : '' }, [name, el('span', { className: 'frame-file', text: `${frame.file}:${frame.line}` })]);
  });
  return el('ol', { className: 'stack' }, frames);
}
