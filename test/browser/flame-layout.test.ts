import { frameAt, isMerged, layoutFlame, mergedParent } from '../../web/flame/flame-layout';
import { markFunction, matchNodes } from '../../web/flame/flame-search';
import { buildFlameTree, findByNames, FlameTree, namesTo } from '../../web/flame/flame-tree';

// The flame graph's model, without a browser: the call tree, what gets drawn, search.

/** A tree from folded stacks ("a;b;c" -> value), the way the API would send it at full resolution. */
function treeOf(stacks: Record<string, number>): FlameTree {
  const names = ['root'];
  const parent = [-1];
  const name = [0];
  const value = [0];
  const self = [0];
  const childOf = new Map<string, number>();
  for (const [stack, v] of Object.entries(stacks)) {
    let node = 0;
    value[0] += v;
    for (const frame of stack.split(';')) {
      const key = `${node}/${frame}`;
      let child = childOf.get(key);
      if (child === undefined) {
        if (!names.includes(frame)) names.push(frame);
        child = parent.length;
        parent.push(node);
        name.push(names.indexOf(frame));
        value.push(0);
        self.push(0);
        childOf.set(key, child);
      }
      value[child] += v;
      node = child;
    }
    self[node] += v;
  }
  return buildFlameTree({ sampleType: 'cpu', unit: 'nanoseconds', total: value[0], names, files: names.map(() => ''), lines: names.map(() => 0), parent, name, value, self, zoom: 0, minValue: 0 });
}

const frameNames = (tree: FlameTree, layout: ReturnType<typeof layoutFlame>, row: number) => {
  const out: string[] = [];
  for (let f = layout.rowStart[row]; f < layout.rowStart[row + 1]; f++) out.push(isMerged(layout, f) ? '(merged)' : tree.names[tree.name[layout.node[f]]]);
  return out;
};

describe('flame layout', () => {
  const tree = treeOf({ 'main;hot': 600, 'main;warm': 300, 'main;tiny1': 1, 'main;tiny2': 1, 'other;leaf': 98 });

  test('rows run root first, children heaviest first, widths by value', () => {
    const layout = layoutFlame(tree, 0, 500);
    expect(frameNames(tree, layout, 0)).toEqual(['root']);
    expect(frameNames(tree, layout, 1)).toEqual(['main', 'other']);
    expect(frameNames(tree, layout, 2)).toEqual(['hot', 'warm', '(merged)', 'leaf']);
    const hot = layout.rowStart[2];
    expect(layout.width[hot]).toBeCloseTo(300);
    expect(layout.x[hot + 1]).toBeCloseTo(300);
  });

  test('frames under a pixel are merged for drawing only: zooming lays them out again', () => {
    const layout = layoutFlame(tree, 0, 500);
    const merged = layout.rowStart[2] + 2;
    expect(layout.value[merged]).toBe(2);
    expect(tree.names[tree.name[mergedParent(layout, merged)]]).toBe('main');
    const zoomed = layoutFlame(tree, findByNames(tree, ['main']), 1000);
    expect(frameNames(tree, zoomed, 2)).toEqual(['hot', 'warm', 'tiny1', 'tiny2']);
  });

  test('a zoomed frame fills the width below its callers, which fill the rows above', () => {
    const hot = findByNames(tree, ['main', 'hot']);
    const layout = layoutFlame(tree, hot, 800);
    expect(layout.zoomRow).toBe(2);
    expect([0, 1, 2].map((row) => frameNames(tree, layout, row))).toEqual([['root'], ['main'], ['hot']]);
    expect(layout.width[layout.rowStart[2]]).toBe(800);
    expect(frameAt(layout, 2, 799)).toBe(layout.rowStart[2]);
    expect(frameAt(layout, 3, 10)).toBe(-1);
  });

  test('zoom paths survive the URL: names there and back; a path the tree does not hold is -1 (the server resolves it)', () => {
    const warm = findByNames(tree, ['main', 'warm']);
    expect(namesTo(tree, warm)).toEqual(['main', 'warm']);
    expect(findByNames(tree, ['main', 'gone'])).toBe(-1);
  });

  test('children the server left out are drawn as the merged block their parent\'s value leaves over', () => {
    // main = 1000 with self 100; the server sent only hot (600): 300 is under children too narrow to send.
    const cut = buildFlameTree({
      sampleType: 'cpu', unit: 'nanoseconds', total: 1000, names: ['root', 'main', 'hot'], files: ['', '', ''], lines: [0, 0, 0],
      parent: [-1, 0, 1], name: [0, 1, 2], value: [1000, 1000, 600], self: [0, 100, 600], zoom: 0, minValue: 5,
    });
    const layout = layoutFlame(cut, 0, 1000);
    expect(frameNames(cut, layout, 2)).toEqual(['hot', '(merged)']);
    const merged = layout.rowStart[2] + 1;
    expect(layout.value[merged]).toBe(300);
    expect(layout.x[merged]).toBeCloseTo(600);
    expect(layout.width[merged]).toBeCloseTo(300);
  });
});

describe('flame search', () => {
  test('marks every frame whose name matches, recursion included', () => {
    const tree = treeOf({ 'main;walk;walk;leaf': 30, 'main;walk': 10, 'main;other': 60 });
    const matched = matchNodes(tree, /walk/);
    expect([...matched].filter(Boolean)).toHaveLength(2);
    expect(matched[findByNames(tree, ['main', 'walk', 'walk'])]).toBe(1);
    expect(matched[findByNames(tree, ['main', 'other'])]).toBe(0);
  });

  test('marks every frame of the selected function, and nothing for an unknown one', () => {
    const tree = treeOf({ 'a;x': 1, 'b;x': 1, 'b;y': 1 });
    expect([...(markFunction(tree, 'x') ?? [])].filter(Boolean)).toHaveLength(2);
    expect(markFunction(tree, 'nope')).toBeUndefined();
  });
});
