// The download links of the offline file: blob: URLs of what the file holds, in place of the server's paths.
import { NOT_IN_FILE, OfflineDownload } from '../../src/viewer/offline/offline-data';
import { OfflineApi } from './offline-api';

/**
 * downloads.ts sets each link to the server's path for the current view; each time, the link gets the blob: URL
 * of the file's copy instead, or is disabled when the file holds none.
 */
export function serveDownloadsFromFile(api: OfflineApi): void {
  const urls = new Map<string, string>();
  for (const link of document.querySelectorAll<HTMLAnchorElement>('#downloads a')) {
    const apply = () => {
      const href = link.getAttribute('href');
      if (href === null || href.startsWith('blob:')) return;
      const [route, search = ''] = href.split('?', 2);
      const download = api.download(route, new URLSearchParams(search));
      if (!download) {
        link.removeAttribute('href');
        link.setAttribute('aria-disabled', 'true');
        link.title = NOT_IN_FILE;
        return;
      }
      let url = urls.get(href);
      if (!url) urls.set(href, (url = URL.createObjectURL(blobOf(download))));
      link.href = url;
      link.download = download.filename;
      link.removeAttribute('aria-disabled');
      link.title = '';
    };
    new MutationObserver(apply).observe(link, { attributes: true, attributeFilter: ['href'] });
  }
}

function blobOf(download: OfflineDownload): Blob {
  if (!download.base64) return new Blob([download.body], { type: download.contentType });
  const text = atob(download.body);
  return new Blob([Uint8Array.from(text, (c) => c.charCodeAt(0))], { type: download.contentType });
}
