import { SignalRequest, type SignalResponse } from '@livekit/protocol';
import type { WebSocket } from 'ws';
import type { SignalSink } from '../rtc/participant.js';
import { metrics } from '../telemetry.js';

/** Largest signalling frame we accept; SDP offers of many tracks stay far below it. */
export const maxSignalFrameBytes = 256 * 1024;

/**
 * The WebSocket carrying one participant's signalling: protobuf binary frames as livekit-client and the
 * Rust SDK send them (JSON text frames are accepted too). Malformed frames are counted and dropped.
 */
export class SignalConnection implements SignalSink {
  private json = false;

  constructor(private readonly ws: WebSocket) {}

  send(message: SignalResponse): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(this.json ? message.toJsonString() : message.toBinary());
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason.slice(0, 120));
    }
  }

  /** Decode one frame; undefined (and a metric) when it is not a valid SignalRequest. */
  parse(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): SignalRequest | undefined {
    metrics.signalFrames.inc();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    try {
      if (isBinary) return SignalRequest.fromBinary(bytes);
      this.json = true;
      return SignalRequest.fromJsonString(bytes.toString('utf8'), { ignoreUnknownFields: true });
    } catch {
      metrics.signalErrors.inc({ reason: 'malformed_frame' });
      return undefined;
    }
  }
}
