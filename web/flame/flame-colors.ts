import type { Theme } from '../app/theme';
import { diffColor } from '../../src/report/diff/diff-colors';
import type { FlameTree } from './flame-tree';

/** Runtime and standard-library plumbing is drawn muted so the program's own code stands out. */
const MUTED_PACKAGES = /^(runtime|internal|syscall|reflect|sync|os|net|io|bufio|time|fmt|strings|strconv|bytes|unicode|sort|math|errors|context|crypto|encoding|compress|vendor)(\/|$)/;

/**
 * The Go package of a function name: "github.com/a/b.(*T).M" -> "github.com/a/b", "main.f" -> "main".
 */
export function packageOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  return dot < 0 ? name : name.slice(0, dot);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * pprof-like warm colours: the hue follows the package, so a package reads as one band, and each function
 * shifts the shade a little, so neighbouring frames of one package stay apart.
 */
export function frameColor(name: string, theme: Theme): string {
  const pkg = packageOf(name);
  const packageHash = hash(pkg);
  const functionHash = hash(name);
  const muted = MUTED_PACKAGES.test(pkg);
  const hue = muted ? 28 + (packageHash % 16) : 8 + (packageHash % 42);
  const saturation = muted ? 14 + (functionHash % 10) : theme.dark ? 48 + (functionHash % 16) : 68 + (functionHash % 18);
  const base = theme.dark ? (muted ? 28 : 32) : muted ? 76 : 62;
  const lightness = base + (functionHash % (theme.dark ? 9 : 11));
  return `hsl(${hue} ${saturation}% ${lightness}%)`;
}

/** Colours for every name, computed once per tree and theme. */
export function paletteFor(names: string[], theme: Theme): string[] {
  return names.map((name, i) => (i === 0 ? (theme.dark ? 'hsl(220 8% 34%)' : 'hsl(220 10% 82%)') : frameColor(name, theme)));
}

/** A diff's colours, per node: by its change since the base (diff-colors.ts); undefined when the tree is no diff. */
export function diffPaletteFor(tree: FlameTree, theme: Theme): string[] | undefined {
  const { diff } = tree;
  if (!diff) return undefined;
  return diff.newValue.map((value, node) => diffColor(value, diff.baseValue[node], theme));
}
