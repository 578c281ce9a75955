import express, { NextFunction, Request, Response } from 'express';
import { CancelledError, CapacityError, errorAnswer, InputError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, ServiceError } from '../errors';
import { Logger } from '../log';
import { ProcessorDeps, runGoProfiler } from '../processor/go-profiler';
import { viewerProxy } from './viewer-proxy';
import { historyRoutes } from '../history/history-routes';

export const PROCESSOR_PATH = '/processor/goProfiler';
/** KubeDiag sends a few hundred bytes; anything near this is not a real request. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface AppState {
  shuttingDown: boolean;
  inFlight: number;
}

export function createApp(deps: ProcessorDeps, state: AppState): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.status(state.shuttingDown ? 503 : 200).json({ status: state.shuttingDown ? 'shutting down' : 'ready' });
  });
  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(deps.metrics.render());
  });
  app.all(['/healthz', '/readyz', '/metrics'], (_req, _res, next) => next(new MethodNotAllowedError('GET, HEAD')));

  // Any content type: curl -d sends form-encoded by default, and the body is JSON either way.
  const json = express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: false });
  app.post(PROCESSOR_PATH, (req, _res, next) => {
    if (state.shuttingDown) return next(new CapacityError('the service is shutting down', 5));
    next();
  }, json, async (req: Request, res: Response, next: NextFunction) => {
    // The caller's connection closing before the answer is a hang-up: everything done for it stops.
    const hangUp = new AbortController();
    res.once('close', () => res.writableFinished || hangUp.abort(new CancelledError('the caller hung up before the answer')));
    state.inFlight++;
    try {
      res.json(await runGoProfiler(req.body, deps, hangUp.signal));
    } catch (error) {
      if (!hangUp.signal.aborted) next(error);
    } finally {
      state.inFlight--;
    }
  });
  app.all(PROCESSOR_PATH, (_req, _res, next) => next(new MethodNotAllowedError('POST')));

  app.use(historyRoutes(deps));
  app.use('/viewer', viewerProxy(deps.viewers, deps.config.viewerBindAddress));
  app.use((req, _res, next) => next(new NotFoundError(`no such path: ${req.method} ${req.path}`)));
  app.use(errorMiddleware(deps.log));
  return app;
}

/** The one place errors become answers: typed errors keep their status, body-parser's are translated. */
function errorMiddleware(log: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const translated = translateBodyError(error);
    if (!(translated instanceof ServiceError)) log.error({ err: translated }, 'unexpected error');
    const answer = errorAnswer(translated);
    res.status(answer.status).set(answer.headers).json(answer.body);
  };
}

function translateBodyError(error: unknown): unknown {
  const type = (error as { type?: string }).type;
  if (type === 'entity.parse.failed') {
    return new InputError('malformed JSON', [{ message: (error as Error).message }]);
  }
  if (type === 'entity.too.large') {
    return new PayloadTooLargeError(`request body larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported' || type === 'request.aborted') {
    return new InputError((error as Error).message);
  }
  return error;
}
