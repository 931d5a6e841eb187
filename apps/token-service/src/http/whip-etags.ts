import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The entity tags an encoder sees for its WHIP sessions (RFC 9725 §4.3.1): the engine's ETag, sealed with
 * an HMAC of it and the session, so this service answers a PATCH naming another session's tag 412 itself
 * on either engine (livekit-server answers that 500) and passes the engine its own tag. Stateless, as the
 * rest of the ingest is: any replica opens what another sealed.
 */
export class WhipEtags {
  constructor(private readonly secret: string) {}

  /** Our strong entity tag for the engine's `engineTag` of `session`. */
  seal(session: string, engineTag: string): string {
    return `"${Buffer.from(engineTag).toString('base64url')}.${this.mac(session, engineTag)}"`;
  }

  /** The engine's tag inside an If-Match (RFC 9110 §13.1.1: a list; weak tags never match), if one is ours for `session`. */
  open(session: string, ifMatch: string): string | undefined {
    for (const member of ifMatch.split(',')) {
      const sealed = /^"([\w-]+)\.([\w-]+)"$/.exec(member.trim());
      if (!sealed) continue;
      const engineTag = Buffer.from(sealed[1]!, 'base64url').toString();
      const expected = Buffer.from(this.mac(session, engineTag));
      const given = Buffer.from(sealed[2]!);
      if (given.length === expected.length && timingSafeEqual(given, expected)) return engineTag;
    }
    return undefined;
  }

  private mac(session: string, engineTag: string): string {
    return createHmac('sha256', this.secret)
      .update(`whip-etag\0${session}\0${engineTag}`)
      .digest('base64url');
  }
}
