/** A few raw requests to the API server as its admin, for the start-up checks (before any client library is wanted). */
import fs from 'node:fs';
import https from 'node:https';

export interface AdminAccess {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

export function adminRequest(access: AdminAccess, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const url = new URL(path, access.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method,
        ca: fs.readFileSync(access.ca),
        cert: fs.readFileSync(access.cert),
        key: fs.readFileSync(access.key),
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        timeout: 10_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    request.on('error', reject);
    request.end(payload);
  });
}
