import type { z } from 'zod';
import * as schemas from './schemas.js';

/**
 * Who may call an endpoint: anyone, a brand (its API key, or its console session cookie with the CSRF token), the operator (SCENECAST_ADMIN_TOKEN),
 * LiveKit (a webhook signed with the API secret), or a WHIP encoder (a feed's stream key as bearer).
 */
export type Auth = 'public' | 'brand' | 'operator' | 'livekit' | 'streamKey';

/** The header a cookie-authenticated write carries its session's CSRF token in. */
export const csrfHeader = 'x-csrf-token';
/** The console's session cookie (httpOnly, SameSite=Strict, Secure over https). */
export const sessionCookie = 'scenecast_session';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
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
  /** Bodies that are not JSON (WHIP's SDP): the request's and the success answer's media types. */
  media?: { request: string; response?: string };
}

/**
 * The header a viewer names itself with for the viewer-token rate limit: a random id per browser tab
 * (16–64 of A–Z, a–z, 0–9, `_`, `-`). Viewers behind one carrier NAT share an address but not this id; a
 * client that sends none, or another shape, is limited per address.
 */
export const clientIdHeader = 'scenecast-client-id';

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
  updateScene: {
    method: 'PATCH',
    path: '/v1/shows/{id}/scenes/{sceneId}',
    summary: 'Rename or reorder a scene',
    auth: 'brand',
    body: schemas.updateScene,
    status: 200,
    response: schemas.scene,
  },
  deleteScene: {
    method: 'DELETE',
    path: '/v1/shows/{id}/scenes/{sceneId}',
    summary: 'Remove a scene with its feeds',
    auth: 'brand',
    status: 204,
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
  updateTrace: {
    method: 'PUT',
    path: '/v1/shows/{id}/trace/{traceId}',
    summary: 'Replace a trace record',
    auth: 'brand',
    body: schemas.traceInput,
    status: 200,
    response: schemas.traceRecord,
  },
  deleteTrace: {
    method: 'DELETE',
    path: '/v1/shows/{id}/trace/{traceId}',
    summary: 'Remove a trace record',
    auth: 'brand',
    status: 204,
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
  setChatPolicy: {
    method: 'PUT',
    path: '/v1/shows/{id}/chat-policy',
    summary: "Set the show's chat word list (what the moderator masks or drops)",
    auth: 'brand',
    body: schemas.chatPolicyInput,
    status: 200,
    response: schemas.chatPolicy,
  },
  chatPolicy: {
    method: 'GET',
    path: '/v1/shows/{id}/chat-policy',
    summary: "The show's chat word list, for the chat moderator",
    auth: 'operator',
    status: 200,
    response: schemas.chatPolicy,
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
  deleteFeed: {
    method: 'DELETE',
    path: '/v1/feeds/{id}',
    summary: 'Remove a camera feed (its publish links stop working)',
    auth: 'brand',
    status: 204,
  },
  publishLink: {
    method: 'POST',
    path: '/v1/feeds/{id}/publish-link',
    summary: 'A short-lived link a device opens to publish this feed, without signing in',
    auth: 'brand',
    body: schemas.publishLinkRequest,
    status: 201,
    response: schemas.publishLink,
  },
  revokePublishing: {
    method: 'POST',
    path: '/v1/feeds/{id}/revoke',
    summary: "Revoke a feed's publish links and disconnect the camera publishing it",
    auth: 'brand',
    status: 204,
  },
  whipSettings: {
    method: 'POST',
    path: '/v1/feeds/{id}/whip',
    summary:
      'WHIP settings of a feed of sourceKind whip: the server URL and a new stream key, shown once (replaces the previous key)',
    auth: 'brand',
    status: 201,
    response: schemas.whipSettings,
  },
  revokeWhip: {
    method: 'DELETE',
    path: '/v1/feeds/{id}/whip',
    summary: "Revoke a feed's stream key and disconnect the encoder publishing with it",
    auth: 'brand',
    status: 204,
  },
  whipIngest: {
    method: 'POST',
    path: '/v1/whip',
    summary:
      "WHIP (RFC 9725): an encoder's SDP offer, answered by the engine (201, Location of the session); media flows straight to the engine",
    auth: 'streamKey',
    status: 201,
    media: { request: 'application/sdp', response: 'application/sdp' },
  },
  whipTrickle: {
    method: 'PATCH',
    path: '/v1/whip/{session}',
    summary: "WHIP trickle ICE for a session (If-Match: the session's ETag)",
    auth: 'streamKey',
    status: 204,
    media: { request: 'application/trickle-ice-sdpfrag' },
  },
  whipEnd: {
    method: 'DELETE',
    path: '/v1/whip/{session}',
    summary: 'WHIP: end a session',
    auth: 'streamKey',
    status: 200,
  },
  rotateFeedKey: {
    method: 'POST',
    path: '/v1/feeds/{id}/rotate',
    summary:
      "Rotate a feed's key: a new identity, so its publish links and every token issued before stop working; the camera publishing it is disconnected",
    auth: 'brand',
    status: 200,
    response: schemas.feed,
  },
  publishToken: {
    method: 'POST',
    path: '/v1/publish-links/token',
    summary: "Exchange a publish link's code for its feed's token (rate limited)",
    auth: 'public',
    body: schemas.publishCodeExchange,
    status: 200,
    response: schemas.publishGrant,
  },
  signIn: {
    method: 'POST',
    path: '/v1/session',
    summary: 'Console sign-in: exchange a brand key for a session cookie and its CSRF token',
    auth: 'public',
    body: schemas.signIn,
    status: 201,
    response: schemas.session,
  },
  getSession: {
    method: 'GET',
    path: '/v1/session',
    summary: "The console session's brand and CSRF token",
    auth: 'brand',
    status: 200,
    response: schemas.session,
  },
  signOut: {
    method: 'DELETE',
    path: '/v1/session',
    summary: 'Sign out: end the console session',
    auth: 'brand',
    status: 204,
  },
  monitorToken: {
    method: 'POST',
    path: '/v1/shows/{id}/monitor-token',
    summary: "A hidden, subscribe-only token: the console measures its feeds' real receive stats",
    auth: 'brand',
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
