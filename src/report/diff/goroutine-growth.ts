import { compareText } from '../graph';
import { GoroutineFrame, GoroutineGroup } from '../goroutines';

/**
 * A leak shows as a group of goroutines that grew between two captures: the same state and stack (and creator,
 * as the dump groups them) in both goroutine?debug=2 dumps, counted then and now.
 */
export type GrowthChange = 'grew' | 'new' | 'shrank' | 'gone';

export interface GoroutineGrowth {
  /** Of the group now; of the base's group when it is gone. */
  state: string;
  stack: GoroutineFrame[];
  createdBy?: string;
  /** Goroutines in the group in the base capture, and in the new one. */
  then: number;
  now: number;
  /** now - then. */
  growth: number;
  change: GrowthChange;
  /** The longest wait now (0 and "" when gone, or when none has waited a minute). */
  waitMinutesMax: number;
  waitText: string;
}

/**
 * The groups whose count changed, those that grew first (biggest growth first), then those that shrank or
 * vanished (biggest loss first). Groups of the same size in both are left out.
 */
export function goroutineGrowth(base: GoroutineGroup[], now: GoroutineGroup[]): GoroutineGrowth[] {
  const before = byKey(base);
  const changed: GoroutineGrowth[] = [];
  for (const [key, group] of byKey(now)) {
    const then = before.get(key)?.count ?? 0;
    before.delete(key);
    if (then === group.count) continue;
    const change: GrowthChange = then === 0 ? 'new' : group.count > then ? 'grew' : 'shrank';
    changed.push(entry(group, then, group.count, change));
  }
  for (const group of before.values()) changed.push({ ...entry(group, group.count, 0, 'gone'), waitMinutesMax: 0, waitText: '' });
  return changed.sort(byGrowth);
}

/**
 * Groups by state, stack and creator's name. The dump also tells creators apart by the line of their go
 * statement, which a group does not keep: such groups are added up here, in both captures alike.
 */
function byKey(groups: GoroutineGroup[]): Map<string, GoroutineGroup> {
  const keyed = new Map<string, GoroutineGroup>();
  for (const group of groups) {
    const key = groupKey(group);
    const known = keyed.get(key);
    if (!known) keyed.set(key, group);
    else {
      const waitMinutesMax = Math.max(known.waitMinutesMax, group.waitMinutesMax);
      const waitText = known.waitMinutesMax >= group.waitMinutesMax ? known.waitText : group.waitText;
      keyed.set(key, { ...known, count: known.count + group.count, waitMinutesMax, waitText });
    }
  }
  return keyed;
}

function entry(group: GoroutineGroup, then: number, now: number, change: GrowthChange): GoroutineGrowth {
  const { state, stack, createdBy, waitMinutesMax, waitText } = group;
  return { state, stack, ...(createdBy !== undefined ? { createdBy } : {}), then, now, growth: now - then, change, waitMinutesMax, waitText };
}

/** As parseGoroutineDump groups: state, every frame's function and position, and the creator. */
function groupKey(group: GoroutineGroup): string {
  const frames = group.stack.map((f) => `${f.function}\n${f.file}\n${f.line}`);
  return `${group.state}\n${frames.join('\n')}\n${group.createdBy ?? ''}`;
}

function byGrowth(a: GoroutineGrowth, b: GoroutineGrowth): number {
  const grewA = a.growth > 0;
  const grewB = b.growth > 0;
  if (grewA !== grewB) return grewA ? -1 : 1;
  return (
    Math.abs(b.growth) - Math.abs(a.growth) ||
    b.now - a.now ||
    compareText(a.stack[0]?.function ?? '', b.stack[0]?.function ?? '') ||
    compareText(a.state, b.state)
  );
}

/** api/goroutines' growth: what changed since the base capture was taken. */
export interface GoroutineGrowthReport {
  baseFetchedAt: string;
  /** Goroutines in the base's dump. */
  baseTotal: number;
  groups: GoroutineGrowth[];
}
