import type { Endpoint, ResponseOf } from '@scenecast/contract';
import type { Response } from 'express';

/** The Express route of a contract endpoint: `/v1/shows/{id}` → `/v1/shows/:id`. */
export const routeOf = (endpoint: Endpoint) => endpoint.path.replace(/\{(\w+)\}/g, ':$1');

/** Answers with the endpoint's success status and a body of the type the contract declares for it. */
export function reply<E extends Endpoint>(res: Response, endpoint: E, body: ResponseOf<E>): void {
  if (endpoint.response) res.status(endpoint.status).json(body);
  else res.status(endpoint.status).end();
}
