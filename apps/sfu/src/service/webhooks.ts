import { createHash } from 'node:crypto';
import { WebhookEvent } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import { reportFault } from '../guard.js';
import { newId } from '../ids.js';
import type { Logger } from '../logging.js';
import { metrics } from '../telemetry.js';

export interface WebhookConfig {
  urls: string[];
  apiKey: string;
  apiSecret: string;
}

const attempts = 3;
const timeoutMs = 5000;

/**
 * Posts LiveKit webhook events, signed the way `WebhookReceiver` checks them: a JWT from the API key
 * whose `sha256` claim is the base64 SHA-256 of the body. Deliveries are queued in order per process.
 */
export class WebhookNotifier {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: WebhookConfig | undefined,
    private readonly log: Logger,
  ) {}

  notify(event: Omit<ConstructorParameters<typeof WebhookEvent>[0] & object, 'id' | 'createdAt'>): void {
    if (!this.config || this.config.urls.length === 0) return;
    const full = new WebhookEvent({
      ...event,
      id: newId('EV_'),
      createdAt: BigInt(Math.floor(Date.now() / 1000)),
    });
    const body = full.toJsonString();
    // A failed delivery must neither reject the queue (later events would never go out) nor the process.
    this.queue = this.queue
      .then(() => this.deliverAll(full.event, body))
      .catch((error: unknown) => reportFault('webhook', this.log, error, { event: full.event }));
  }

  /** Resolves when every queued event has been delivered or given up on. */
  flush(): Promise<void> {
    return this.queue;
  }

  private async deliverAll(event: string, body: string): Promise<void> {
    const config = this.config!;
    const token = new AccessToken(config.apiKey, config.apiSecret, { ttl: '5m' });
    token.sha256 = createHash('sha256').update(body).digest('base64');
    const authorization = await token.toJwt();
    await Promise.all(config.urls.map((url) => this.deliver(url, event, body, authorization)));
  }

  private async deliver(url: string, event: string, body: string, authorization: string): Promise<void> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/webhook+json', authorization },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) {
          metrics.webhooks.inc({ event, outcome: 'ok' });
          return;
        }
        this.log.warn({ url, event, status: response.status, attempt }, 'webhook refused');
      } catch (error) {
        this.log.warn({ url, event, attempt, err: (error as Error).message }, 'webhook delivery failed');
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
    metrics.webhooks.inc({ event, outcome: 'failed' });
  }
}
