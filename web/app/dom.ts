// Small DOM helpers. Text only ever goes in through textContent: names come from an untrusted program.

type Attributes = Record<string, string | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { className?: string; text?: string; title?: string; attrs?: Attributes } = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.title) node.title = options.title;
  for (const [name, value] of Object.entries(options.attrs ?? {})) if (value !== undefined) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page is missing #${id}`);
  return node as T;
}

/** Runs `action` on a click, and on Enter or Space while the element (a focusable row) has the focus. */
export function onActivate(element: HTMLElement, action: () => void): void {
  element.addEventListener('click', action);
  element.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      action();
    }
  });
}

/** A regex from user input, case-insensitive; undefined for empty or invalid input. */
export function userRegex(source: string): RegExp | undefined {
  if (!source) return undefined;
  try {
    return new RegExp(source, 'i');
  } catch {
    return undefined;
  }
}

/** Coalesces bursts (typing, resizing) into one call after `ms` of quiet. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: number | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

/**
 * Measures `name` from `start` to the first moment after the DOM just changed has been laid out and painted: a
 * task queued from the next animation frame runs after that frame's style, layout and paint.
 */
export function measureWhenPainted(name: string, start: number): void {
  requestAnimationFrame(() => setTimeout(() => performance.measure(name, { start }), 0));
}
