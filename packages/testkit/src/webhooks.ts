import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebhookEvent, WebhookReceiver } from 'livekit-server-sdk';

export interface WebhookSink {
  /** Where the engine posts (its `webhook.urls`). */
  url: string;
  /** Every event whose signature checked out, in arrival order. */
  events: WebhookEvent[];
  close(): void;
}

/**
 * An HTTP endpoint on loopback for an engine's webhooks, checked as a receiver checks them (the
 * SDK's WebhookReceiver with the engine's key and secret): a signed event is kept and answered 200, any
 * other post 401.
 */
export async function receiveWebhooks(apiKey: string, apiSecret: string): Promise<WebhookSink> {
  const receiver = new WebhookReceiver(apiKey, apiSecret);
  const events: WebhookEvent[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    try {
      events.push(await receiver.receive(body, req.headers.authorization));
      res.writeHead(200).end();
    } catch {
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    events,
    close: () => server.close(),
  };
}
