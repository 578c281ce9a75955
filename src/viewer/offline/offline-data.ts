// What an offline viewer file carries, shared by the writer (offline-answers.ts) and the page (web/app/offline-*.ts).

/** The `<script type="application/json">` holding OfflineData. */
export const OFFLINE_DATA_ID = 'offline-data';
/** The `<script type="text/plain">` holding the call graph worker's source, base64 (Graphviz's WebAssembly is in it). */
export const OFFLINE_WORKER_ID = 'offline-worker';
/** What the page says of a view the file does not hold. */
export const NOT_IN_FILE = 'not in this file: run with --serve for every view';

export interface OfflineDownload {
  filename: string;
  contentType: string;
  /** Text, or the bytes in base64 when `base64` is set (the original profile). */
  body: string;
  base64?: boolean;
}

export interface OfflineData {
  format: 1;
  writtenAt: string;
  defaultSampleType: string;
  /** The API's JSON answers as the server gave them, by answerKey (offline-keys.ts). */
  answers: Record<string, unknown>;
  /** The flame graphs among the answers are cut at the root at this resolution; the page's zooms are cut from them. */
  flameResolution: number;
  /** The downloads the page links, by answerKey. */
  downloads: Record<string, OfflineDownload>;
}
