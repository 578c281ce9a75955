import express, { NextFunction, Request, Response } from 'express';
import { readAsset } from '../viewer/viewer-server';
import { InputError, MethodNotAllowedError, NotFoundError } from '../errors';
import { KEYS } from '../parameters/schema';
import type { ProcessorDeps } from '../processor/go-profiler';
import { RECORD_ID } from '../storage/profile-record';
import { RecordIndex } from '../storage/record-index';
import { parseHistoryQuery } from './history-query';
import { openFromHistory } from './open-from-history';

/** The page's own origin only, as the viewer's: record fields come from requests and programs nobody vetted. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const ASSETS = { 'history.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' };

/**
 * GET /profiles (JSON, or the page for a browser), one record, its raw profile, and a fresh viewer on it. The
 * same trust model as the viewers: whoever reaches the main port may list (README's security model).
 */
export function historyRoutes(deps: ProcessorDeps): express.Router {
  const router = express.Router();
  const index = new RecordIndex(deps.store);
  const enabled = (_req: Request, _res: Response, next: NextFunction) => (deps.config.history ? next() : next(new NotFoundError('the history is off (HISTORY=off)')));
  router.use('/profiles', enabled);

  router.get('/profiles', handle(async (req, res) => {
    const url = new URL(req.originalUrl, 'http://service');
    // The page's relative links need /profiles without the slash.
    if (url.pathname.endsWith('/')) return void res.redirect(308, `../profiles${url.search}`);
    const query = url.searchParams;
    res.vary('Accept'); // the page and its JSON share one address
    if (wantsPage(req)) return sendAsset(res, 'history.html', 'text/html; charset=utf-8');
    const { filter, limit, cursor } = parseHistoryQuery(query);
    const page = await index.list(filter, limit, cursor);
    res.set(PAGE_HEADERS).json({ profiles: page.records, ...(page.next ? { next: page.next } : {}) });
  }));
  for (const [name, type] of Object.entries(ASSETS)) router.get(`/profiles/${name}`, (_req, res) => sendAsset(res, name, type));
  router.get('/profiles/:id', handle(async (req, res) => {
    res.set(PAGE_HEADERS).json(await recordOf(deps, String(req.params.id)));
  }));
  router.get('/profiles/:id/profile', handle(async (req, res) => {
    const record = await recordOf(deps, String(req.params.id));
    const key = record.files.profile;
    const bytes = key ? await deps.store.read(key) : undefined;
    if (!bytes || !key) throw new NotFoundError(`profile ${record.id} is not kept (${record.status === 'ready' ? 'DATA_RETENTION_SECONDS' : record.status})`);
    const name = key.split('/').pop() as string;
    res.set({ ...PAGE_HEADERS, 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"` }).send(bytes);
  }));
  router.post('/profiles/:id/viewer', express.json({ limit: 16 * 1024, type: () => true, strict: false }), handle(async (req, res) => {
    const record = await recordOf(deps, String(req.params.id));
    if (record.status !== 'ready') throw new NotFoundError(`profile ${record.id} has no profile to show yet: it is ${record.status}${record.error ? ` (${record.error})` : ''}; its viewer is /viewer/${record.viewer.id}/`);
    res.json(await openFromHistory(record, expirationOf(req.body, deps), deps));
  }));
  router.all('/profiles', (_req, _res, next) => next(new MethodNotAllowedError('GET, HEAD')));
  router.all('/profiles/:id/viewer', (_req, _res, next) => next(new MethodNotAllowedError('POST')));
  router.all(['/profiles/:id', '/profiles/:id/profile'], (_req, _res, next) => next(new MethodNotAllowedError('GET, HEAD')));
  return router;
}

async function recordOf(deps: ProcessorDeps, id: string) {
  if (!RECORD_ID.test(id)) throw new NotFoundError(`no such profile: ${JSON.stringify(id.slice(0, 64))} (an id is 32 hex digits, as GET /profiles lists them)`);
  const record = await deps.store.getRecord(id);
  if (!record) throw new NotFoundError(`no such profile: ${id} (it never existed, or DATA_RETENTION_SECONDS has removed it)`);
  return record;
}

/** The processor's own key and limits; an empty or absent body takes the default. */
function expirationOf(body: unknown, deps: ProcessorDeps): number {
  const { config } = deps;
  if (body === undefined) return config.defaultExpirationSeconds; // no body at all
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('the body must be a JSON object', [{ message: 'expected an object like {"' + KEYS.expirationSeconds + '": "300"}' }]);
  const raw = (body as Record<string, unknown>)[KEYS.expirationSeconds];
  if (raw === undefined) return config.defaultExpirationSeconds;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d{1,16}\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new InputError(`${KEYS.expirationSeconds} must be a positive integer`, [{ key: KEYS.expirationSeconds, message: 'must be a positive integer (seconds)' }]);
  return Math.min(value, config.maxExpirationSeconds);
}

/** A browser asking for the page: it prefers HTML to JSON. */
function wantsPage(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

function sendAsset(res: Response, name: string, type: string): void {
  res.set({ ...PAGE_HEADERS, 'content-type': type }).send(readAsset(name));
}

function handle(work: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => void work(req, res).catch(next);
}
