// Canvas drawing cannot use CSS variables directly: read them, and redraw when the system theme flips.

export interface Theme {
  dark: boolean;
  text: string;
  muted: string;
  background: string;
  line: string;
  accent: string;
  highlight: string;
  font: string;
}

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

export function currentTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string) => style.getPropertyValue(name).trim();
  return {
    dark: darkQuery.matches,
    text: read('--fg'),
    muted: read('--muted'),
    background: read('--bg'),
    line: read('--line'),
    accent: read('--accent'),
    highlight: read('--highlight'),
    font: `12px ${read('--mono')}`,
  };
}

export function onThemeChange(listener: () => void): void {
  darkQuery.addEventListener('change', listener);
}
