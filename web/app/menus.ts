/** Drop-down menus (<details class="menu">) close on a click outside them or on Escape, as menus do. */
export function bindMenus(): void {
  const menus = () => document.querySelectorAll<HTMLDetailsElement>('details.menu[open]');
  document.addEventListener('click', (event) => {
    for (const menu of menus()) if (!menu.contains(event.target as Node)) menu.open = false;
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') for (const menu of menus()) menu.open = false;
  });
  for (const link of document.querySelectorAll<HTMLAnchorElement>('details.menu a')) {
    link.addEventListener('click', () => link.closest('details')?.removeAttribute('open'));
  }
}
