// A WebSocket relay between an SDK and the SFU that decodes the signalling both ways and keeps it, so a
// test can check what the server really answered — e.g. an addTrack refused with NOT_ALLOWED, which the
// SDKs only report as a publication timeout. Everything else (the handshake's refusal, /rtc/validate) is
// passed through unchanged.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestResponse_Reason, SignalRequest, SignalResponse } from '@livekit/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { waitFor } from './wait.js';

/** One SDK connection through the tap, in order of arrival. */
export interface TappedConnection {
  /** The participant's identity, from the server's join response. */
  identity?: string;
  requests: SignalRequest[];
  responses: SignalResponse[];
}

export interface SignalTap {
  /** Where the SDK should connect instead of the SFU. */
  url: string;
  connections: TappedConnection[];
  /** Every server message sent to `identity` so far. */
  responsesTo(identity: string): SignalResponse[];
  /**
   * How the server answered `identity`'s first addTrack: 'published', or the refusal's reason
   * ('NOT_ALLOWED', ...). Fails when no answer comes within `timeoutMs`: a server that hangs is not refusing.
   */
  addTrackAnswer(identity: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

const decode = <T>(
  parse: (bytes: Uint8Array) => T,
  data: Buffer,
  isBinary: boolean,
  json: (s: string) => T,
) => {
  try {
    return isBinary ? parse(data) : json(data.toString('utf8'));
  } catch {
    return undefined;
  }
};

export async function startSignalTap(sfuUrl: string): Promise<SignalTap> {
  const target = new URL(sfuUrl);
  const httpTarget = `${target.protocol === 'wss:' ? 'https' : 'http'}://${target.host}`;
  const wss = new WebSocketServer({ noServer: true });
  const connections: TappedConnection[] = [];

  const server: Server = createServer(async (req, res) => {
    const upstream = await fetch(httpTarget + req.url, {
      headers: { ...(req.headers as Record<string, string>) },
    });
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(await upstream.text());
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const headers: Record<string, string> = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const upstream = new WebSocket(`${sfuUrl.replace(/\/$/, '')}${req.url}`, { headers });
    upstream.on('unexpected-response', async (_request, response) => {
      let body = '';
      for await (const chunk of response) body += chunk;
      socket.end(
        `HTTP/1.1 ${response.statusCode} ${response.statusMessage}\r\ncontent-type: text/plain\r\n` +
          `connection: close\r\n\r\n${body}`,
      );
    });
    upstream.on('error', () => socket.destroy());
    upstream.on('open', () =>
      wss.handleUpgrade(req, socket, head, (client) => {
        const tapped: TappedConnection = { requests: [], responses: [] };
        connections.push(tapped);
        client.on('message', (data: Buffer, isBinary) => {
          const request = decode(
            (b) => SignalRequest.fromBinary(b),
            data,
            isBinary,
            (s) => SignalRequest.fromJsonString(s, { ignoreUnknownFields: true }),
          );
          if (request) tapped.requests.push(request);
          if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
        });
        upstream.on('message', (data: Buffer, isBinary) => {
          const response = decode(
            (b) => SignalResponse.fromBinary(b),
            data,
            isBinary,
            (s) => SignalResponse.fromJsonString(s, { ignoreUnknownFields: true }),
          );
          if (response?.message.case === 'join')
            tapped.identity = response.message.value.participant?.identity;
          if (response) tapped.responses.push(response);
          if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
        });
        client.on('close', () => upstream.close());
        upstream.on('close', () => client.close());
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const responsesTo = (identity: string) =>
    connections.filter((c) => c.identity === identity).flatMap((c) => c.responses);
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    responsesTo,
    async addTrackAnswer(identity, timeoutMs = 5000) {
      const answer = await waitFor(
        () =>
          responsesTo(identity)
            .map((r) => r.message)
            .find(
              (m) =>
                m.case === 'trackPublished' ||
                (m.case === 'requestResponse' && m.value.request.case === 'addTrack'),
            ),
        { what: `the server's answer to ${identity}'s addTrack`, timeoutMs },
      );
      return answer.case === 'requestResponse' ? RequestResponse_Reason[answer.value.reason]! : 'published';
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
