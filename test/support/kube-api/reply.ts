import type { ServerResponse } from 'node:http';

/** Writes a JSON body the way the apiserver's JSON serializer does (json.Encoder: trailing newline). */
export function replyJson(res: ServerResponse, code: number, body: unknown): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}
