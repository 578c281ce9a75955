import { createHash } from 'node:crypto';
import { OfflineAssets } from './offline-assets';
import { OFFLINE_DATA_ID, OFFLINE_WORKER_ID, OfflineData } from './offline-data';

/**
 * Only what the file holds: its own script and style (by hash), Graphviz's WebAssembly in a blob: worker, data:
 * images; no network at all. frame-ancestors has no effect in a meta policy, so it is left out.
 */
function contentSecurityPolicy(scriptHash: string, styleHash: string): string {
  return [
    "default-src 'none'",
    `script-src '${scriptHash}' 'wasm-unsafe-eval'`,
    `style-src '${styleHash}'`,
    'img-src data: blob:',
    'worker-src blob:',
    "connect-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The viewer's page as one document: its script, style, worker and the API's answers inline. */
export function offlineDocument(assets: OfflineAssets, data: OfflineData): string {
  refuseEarlyEnd(assets.app, /<\/script|<!--|<script/i, 'script');
  refuseEarlyEnd(assets.css, /<\/style/i, 'style');
  const policy = contentSecurityPolicy(sha256(assets.app), sha256(assets.css));
  const html = new Template(assets.template);
  html.replace('<meta charset="utf-8">', `<meta charset="utf-8">\n  <meta http-equiv="Content-Security-Policy" content="${policy}">`);
  html.replace('<link rel="stylesheet" href="style.css">', `<style>${assets.css}</style>`);
  html.replace('<script src="app.js" defer></script>', '');
  // The download links get blob: URLs from the page (offline-downloads.ts): no reference to a file beside this one.
  for (const href of ['download', 'download/flamegraph.svg', 'download/top.json']) html.replace(` href="${href}"`, '');
  // At the end of the body, so the page's elements exist when the script runs (an inline script cannot be deferred).
  html.replace(
    '</body>',
    [
      `<script type="application/json" id="${OFFLINE_DATA_ID}">${jsonInScript(data)}</script>`,
      `<script type="text/plain" id="${OFFLINE_WORKER_ID}">${assets.worker.toString('base64')}</script>`,
      `<script>${assets.app}</script>`,
      '</body>',
    ].join('\n'),
  );
  return html.text;
}

/** JSON that no name can end early: every `<` escaped, so neither `</script>` nor `<!--` can appear. */
export function jsonInScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function refuseEarlyEnd(text: string, pattern: RegExp, element: string): void {
  const found = pattern.exec(text);
  if (found) throw new Error(`writing the offline viewer: the page's ${element} holds ${JSON.stringify(found[0])} at ${found.index}, which would end its <${element}> early`);
}

/** index.html, edited at known places: each must be found exactly once, so a changed page fails loudly here. */
class Template {
  constructor(public text: string) {}

  replace(find: string, replacement: string): void {
    const at = this.text.indexOf(find);
    if (at < 0 || this.text.indexOf(find, at + find.length) >= 0) {
      throw new Error(`writing the offline viewer: index.html should hold ${JSON.stringify(find)} exactly once`);
    }
    // Sliced, not String.replace: the replacement is code, where "$&" and the like must stay as they are.
    this.text = this.text.slice(0, at) + replacement + this.text.slice(at + find.length);
  }
}
