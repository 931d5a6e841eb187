// A typed client for the token service, on fetch alone so it runs in browsers and Node alike. Hand-written
// because it is small: the endpoint table does the work a client generator or RPC library would.
import {
  clientIdHeader,
  csrfHeader,
  type Endpoint,
  endpoints,
  type RequestOf,
  type ResponseOf,
} from './endpoints.js';
import { problem } from './schemas.js';

/** A problem+json answer (RFC 9457): what went wrong, and for a validation error, which fields. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
    /** When to ask again (a 429's or 503's Retry-After, in seconds); undefined when it did not say. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }

  /** Reads an error response; one that is not problem+json (a proxy's error page) keeps its status text. */
  static async from(response: Response): Promise<ApiError> {
    const retryAfter = response.headers.get('retry-after');
    const retryAfterSeconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    const body = problem.safeParse(await response.json().catch(() => undefined));
    if (!body.success) {
      const status = response.statusText || `HTTP ${response.status}`;
      return new ApiError(response.status, status, status, [], retryAfterSeconds);
    }
    const { title, detail, issues } = body.data;
    return new ApiError(response.status, title, detail, issues, retryAfterSeconds);
  }
}

export interface ClientOptions {
  /** Where the token service is, e.g. `http://127.0.0.1:8080`; empty (the default) calls the page's origin. */
  baseUrl?: string;
  /** The bearer secret: a brand's API key, or the operator token for createBrand. */
  key?: string;
  /**
   * A console session's CSRF token: sent on every write, which then rides on the session cookie the
   * browser holds (same origin) instead of a key.
   */
  csrfToken?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** This client's id for the viewer-token rate limit ({@link clientIdHeader}); a viewer's tab sets one. */
  clientId?: string;
  /** The fetch to call, default the global one; a caller that needs an answer's headers (rate limits) wraps it. */
  fetch?: typeof fetch;
}

type Params = Record<string, string>;

/**
 * The token service's API. Every answer is checked against the contract's schema, so a client never
 * works on a shape it does not know; an error answer throws {@link ApiError}.
 */
export class ScenecastClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  }

  /** The same service with another bearer secret. */
  withKey(key: string): ScenecastClient {
    return new ScenecastClient({ ...this.options, key });
  }

  /** The same service in a console session, its writes carrying the session's CSRF token. */
  withCsrf(csrfToken: string): ScenecastClient {
    return new ScenecastClient({ ...this.options, csrfToken });
  }

  // ---- public ----

  getShow(showId: string) {
    return this.call(endpoints.getShow, { id: showId });
  }

  viewerToken(showId: string, body: RequestOf<typeof endpoints.viewerToken> = {}) {
    return this.call(endpoints.viewerToken, { id: showId }, body);
  }

  /** A publish link's code for its feed's token (the phone's publish page). */
  publishToken(code: string) {
    return this.call(endpoints.publishToken, {}, { code });
  }

  // ---- the console's session ----

  signIn(key: string) {
    return this.call(endpoints.signIn, {}, { key });
  }

  getSession() {
    return this.call(endpoints.getSession, {});
  }

  signOut() {
    return this.call(endpoints.signOut, {});
  }

  // ---- operator ----

  createBrand(body: RequestOf<typeof endpoints.createBrand>) {
    return this.call(endpoints.createBrand, {}, body);
  }

  chatPolicy(showId: string) {
    return this.call(endpoints.chatPolicy, { id: showId });
  }

  // ---- brand ----

  createShow(body: RequestOf<typeof endpoints.createShow>) {
    return this.call(endpoints.createShow, {}, body);
  }

  listShows() {
    return this.call(endpoints.listShows, {});
  }

  updateShow(showId: string, body: RequestOf<typeof endpoints.updateShow>) {
    return this.call(endpoints.updateShow, { id: showId }, body);
  }

  deleteShow(showId: string) {
    return this.call(endpoints.deleteShow, { id: showId });
  }

  addScene(showId: string, body: RequestOf<typeof endpoints.addScene>) {
    return this.call(endpoints.addScene, { id: showId }, body);
  }

  updateScene(showId: string, sceneId: string, body: RequestOf<typeof endpoints.updateScene>) {
    return this.call(endpoints.updateScene, { id: showId, sceneId }, body);
  }

  deleteScene(showId: string, sceneId: string) {
    return this.call(endpoints.deleteScene, { id: showId, sceneId });
  }

  addTrace(showId: string, body: RequestOf<typeof endpoints.addTrace>) {
    return this.call(endpoints.addTrace, { id: showId }, body);
  }

  setChatPolicy(showId: string, body: RequestOf<typeof endpoints.setChatPolicy>) {
    return this.call(endpoints.setChatPolicy, { id: showId }, body);
  }

  updateTrace(showId: string, traceId: string, body: RequestOf<typeof endpoints.updateTrace>) {
    return this.call(endpoints.updateTrace, { id: showId, traceId }, body);
  }

  deleteTrace(showId: string, traceId: string) {
    return this.call(endpoints.deleteTrace, { id: showId, traceId });
  }

  addFeed(showId: string, body: RequestOf<typeof endpoints.addFeed>) {
    return this.call(endpoints.addFeed, { id: showId }, body);
  }

  feedToken(feedId: string, body: RequestOf<typeof endpoints.feedToken> = {}) {
    return this.call(endpoints.feedToken, { id: feedId }, body);
  }

  monitorToken(showId: string) {
    return this.call(endpoints.monitorToken, { id: showId });
  }

  revokePublishing(feedId: string) {
    return this.call(endpoints.revokePublishing, { id: feedId });
  }

  /** A new stream key for a WHIP feed (shown once; the previous one stops working). */
  whipSettings(feedId: string) {
    return this.call(endpoints.whipSettings, { id: feedId });
  }

  revokeWhip(feedId: string) {
    return this.call(endpoints.revokeWhip, { id: feedId });
  }

  rotateFeedKey(feedId: string) {
    return this.call(endpoints.rotateFeedKey, { id: feedId });
  }

  deleteFeed(feedId: string) {
    return this.call(endpoints.deleteFeed, { id: feedId });
  }

  publishLink(feedId: string, body: RequestOf<typeof endpoints.publishLink> = {}) {
    return this.call(endpoints.publishLink, { id: feedId }, body);
  }

  private async call<E extends Endpoint>(
    endpoint: E,
    params: Params,
    body?: unknown,
  ): Promise<ResponseOf<E>> {
    const path = endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (endpoint.auth !== 'public' && this.options.key) headers.authorization = `Bearer ${this.options.key}`;
    if (this.options.clientId) headers[clientIdHeader] = this.options.clientId;
    if (endpoint.method !== 'GET' && this.options.csrfToken) headers[csrfHeader] = this.options.csrfToken;
    const response = await (this.options.fetch ?? fetch)(this.baseUrl + path, {
      method: endpoint.method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!response.ok) throw await ApiError.from(response);
    if (!endpoint.response) return undefined as ResponseOf<E>;
    const parsed = endpoint.response.safeParse(await response.json());
    if (!parsed.success)
      throw new Error(
        `${endpoint.method} ${path}: the answer does not match the contract: ${parsed.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    return parsed.data as ResponseOf<E>;
  }
}
