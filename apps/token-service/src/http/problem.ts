import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { DomainError } from '../domain/store.js';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
};

/** RFC 9457 problem details: every error a client sees has this shape and a useful `detail`. */
export function sendProblem(
  res: Response,
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: 'about:blank', title: titles[status] ?? 'Error', status, detail, ...extra });
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const problemHandler =
  (log: Logger): ErrorRequestHandler =>
  (error, _req, res, _next) => {
    if (error instanceof ZodError) {
      const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
      sendProblem(res, 400, detail, { issues });
      return;
    }
    if (error instanceof DomainError || error instanceof HttpError) {
      sendProblem(res, error.status, error.message);
      return;
    }
    // body-parser's own errors carry a status and a type.
    const e = error as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return sendProblem(res, 413, 'request body is larger than the limit');
    if (e.type === 'entity.parse.failed') return sendProblem(res, 400, 'request body is not valid JSON');
    if (e.status && e.status >= 400 && e.status < 500)
      return sendProblem(res, e.status, e.message ?? 'bad request');
    log.error({ err: error }, 'unhandled error');
    sendProblem(res, 500, 'something went wrong on our side');
  };
