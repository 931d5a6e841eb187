import type { RequestHandler } from 'express';
import { HttpError } from './problem.js';

/**
 * A small JSON request body, for the public viewer-token path: body-parser's general machinery (charset
 * decoders, type matching, stream plumbing) cost more there than signing the token. Same rules and answers
 * as the express.json() the other routes use: a declared length over the limit is refused before reading
 * (413), so are bytes beyond it while reading (413); a body that is not JSON is 415, bad JSON 400; no
 * body at all leaves req.body undefined; the top level must be an object or array (express.json's strict).
 */
export function smallJsonBody(limitBytes: number): RequestHandler {
  return (req, _res, next) => {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (!chunked && (length === undefined || length === '0')) return next();
    if (!req.is('application/json'))
      return next(new HttpError(415, 'send JSON (content-type: application/json)'));
    if (Number(length) > limitBytes) return next(new HttpError(413, 'request body is larger than the limit'));

    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: HttpError) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error) {
        // Leave the rest unread: node discards it once the response is sent.
        return next(error);
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        return next(new HttpError(400, 'request body is not valid JSON'));
      }
      // Like express.json's strict mode: an object or array, not a bare string, number or null.
      if (typeof body !== 'object' || body === null)
        return next(new HttpError(400, 'request body must be a JSON object'));
      req.body = body;
      next();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) return finish(new HttpError(413, 'request body is larger than the limit'));
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new HttpError(400, 'request body could not be read'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}
