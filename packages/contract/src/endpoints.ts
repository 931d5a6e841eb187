import type { z } from 'zod';
import * as schemas from './schemas.js';

/**
 * Who may call an endpoint: anyone, a brand (its API key), the operator (SCENECAST_ADMIN_TOKEN), or
 * LiveKit (a webhook signed with the API secret).
 */
export type Auth = 'public' | 'brand' | 'operator' | 'livekit';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI path template, e.g. `/v1/shows/{id}`. */
  path: string;
  summary: string;
  auth: Auth;
  /** The JSON request body, when there is one. */
  body?: z.ZodType;
  /** The success status. */
  status: 200 | 201 | 204;
  /** The JSON success body; none for 204 (and for the webhook, whose answer is not for clients). */
  response?: z.ZodType;
}

/**
 * Every endpoint of the token service: the routes serve them, the client calls them, the OpenAPI
 * document lists them, all from this table.
 */
export const endpoints = {
  createBrand: {
    method: 'POST',
    path: '/v1/brands',
    summary: 'Create a brand and its API key (shown once)',
    auth: 'operator',
    body: schemas.createBrand,
    status: 201,
    response: schemas.createdBrand,
  },
  createShow: {
    method: 'POST',
    path: '/v1/shows',
    summary: 'Create a show with its scenes',
    auth: 'brand',
    body: schemas.createShow,
    status: 201,
    response: schemas.show,
  },
  listShows: {
    method: 'GET',
    path: '/v1/shows',
    summary: "List the brand's shows, newest first",
    auth: 'brand',
    status: 200,
    response: schemas.showList,
  },
  getShow: {
    method: 'GET',
    path: '/v1/shows/{id}',
    summary: 'Public view: scenes with live status, trace timeline',
    auth: 'public',
    status: 200,
    response: schemas.publicShow,
  },
  updateShow: {
    method: 'PATCH',
    path: '/v1/shows/{id}',
    summary: 'Update title, product or status',
    auth: 'brand',
    body: schemas.updateShow,
    status: 200,
    response: schemas.show,
  },
  deleteShow: {
    method: 'DELETE',
    path: '/v1/shows/{id}',
    summary: 'Delete the show with its scenes, feeds and trace',
    auth: 'brand',
    status: 204,
  },
  addScene: {
    method: 'POST',
    path: '/v1/shows/{id}/scenes',
    summary: 'Add a scene',
    auth: 'brand',
    body: schemas.sceneInput,
    status: 201,
    response: schemas.scene,
  },
  addTrace: {
    method: 'POST',
    path: '/v1/shows/{id}/trace',
    summary: 'Add a trace record',
    auth: 'brand',
    body: schemas.traceInput,
    status: 201,
    response: schemas.traceRecord,
  },
  addFeed: {
    method: 'POST',
    path: '/v1/shows/{id}/feeds',
    summary: 'Add a camera feed for a scene',
    auth: 'brand',
    body: schemas.feedInput,
    status: 201,
    response: schemas.feed,
  },
  feedToken: {
    method: 'POST',
    path: '/v1/feeds/{id}/token',
    summary: 'Publish token for a feed',
    auth: 'brand',
    body: schemas.feedTokenRequest,
    status: 200,
    response: schemas.issuedToken,
  },
  viewerToken: {
    method: 'POST',
    path: '/v1/shows/{id}/viewer-token',
    summary: 'Watch-and-chat token (rate limited)',
    auth: 'public',
    body: schemas.viewerTokenRequest,
    status: 200,
    response: schemas.issuedToken,
  },
  livekitWebhook: {
    method: 'POST',
    path: '/v1/livekit/webhook',
    summary: 'LiveKit webhook receiver (signed)',
    auth: 'livekit',
    status: 200,
  },
} as const satisfies Record<string, Endpoint>;

/** The request body an endpoint takes, as a caller writes it (optional fields may be left out). */
export type RequestOf<E extends Endpoint> = E['body'] extends z.ZodType ? z.input<E['body']> : undefined;
/** The body an endpoint answers with. */
export type ResponseOf<E extends Endpoint> = E['response'] extends z.ZodType
  ? z.output<E['response']>
  : undefined;
