// One browser viewer's access network: a UDP proxy between its Chromium and the TURN server, whose two
// directions are the links a simulated viewer of the same profile gets (rate with its queue, delay with
// jitter, random and Gilbert-Elliott loss, the scripted outage), seeded the same way. The page may use only
// relay candidates, so everything it sends and receives crosses this proxy: TURN's own requests and the
// relayed ICE checks, DTLS and SRTP/SRTCP (in ChannelData: 4 bytes more per packet than direct UDP).
//
// Hand-written (about 50 lines on node:dgram) because it must put the load tool's own Link on the path.
import { createSocket, type Socket } from 'node:dgram';
import { type Link, type LinkProfile, type NetworkProfile, udpOverhead } from '@scenecast/load-client';
import { linksOf } from '../viewer/simulated-viewer.js';

/** The knobs a profile sets (in either direction), by their names in the profile: what its links apply. */
export function knobsOf(profile: NetworkProfile): string[] {
  const knobs: Array<keyof LinkProfile> = ['rateKbps', 'queueBytes', 'delayMs', 'jitterMs', 'loss', 'burst'];
  const set: string[] = knobs.filter((k) => profile.down[k] !== undefined || profile.up[k] !== undefined);
  return profile.outage ? [...set, 'outage'] : set;
}

/**
 * Kernel buffers asked for each proxy socket: the default 208 KB is under a second of a 4K layer, and this
 * process's event loop (Playwright's driver too) may stall longer on a busy machine; capped at rmem_max.
 */
const bufferBytes = 4 * 1024 * 1024;
const udpSocket = () =>
  createSocket({ type: 'udp4', recvBufferSize: bufferBytes, sendBufferSize: bufferBytes });

/** Chromium opens a few sockets to its TURN server (one per local address); more than this is not a browser. */
const maxFlows = 16;

export class LinkProxy {
  private readonly flows = new Map<string, Socket>();
  private closed = false;

  private constructor(
    private readonly front: Socket,
    private readonly upstream: { host: string; port: number },
    /** down: TURN server → browser; up: browser → TURN server. */
    readonly links: { down: Link; up: Link },
  ) {
    front.on('message', (datagram, from) => this.fromBrowser(datagram, from.address, from.port));
    front.on('error', () => undefined);
  }

  /** A proxy on a free loopback port in front of `upstream`, with the links of `profile` for `viewer`. */
  static async open(
    upstream: { host: string; port: number },
    profile: NetworkProfile,
    seed: number,
    viewer: number,
  ): Promise<LinkProxy> {
    const front = udpSocket();
    await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
    return new LinkProxy(front, upstream, linksOf(profile, seed, viewer));
  }

  /** Where the browser reaches its TURN server. */
  get port(): number {
    return this.front.address().port;
  }

  private fromBrowser(datagram: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    let back = this.flows.get(key);
    if (!back) {
      if (this.flows.size >= maxFlows || this.closed) return;
      // Its own socket towards the server per browser socket: the server tells allocations apart by it.
      back = udpSocket();
      back.on('error', () => undefined);
      back.on('message', (reply, from) => {
        if (from.port !== this.upstream.port || from.address !== this.upstream.host) return;
        this.links.down.send(reply.length + udpOverhead, () => {
          if (!this.closed) this.front.send(reply, port, address);
        });
      });
      this.flows.set(key, back);
    }
    const socket = back;
    this.links.up.send(datagram.length + udpOverhead, () => {
      if (!this.closed) socket.send(datagram, this.upstream.port, this.upstream.host);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.links.down.close();
    this.links.up.close();
    for (const socket of this.flows.values()) socket.close();
    this.front.close();
  }
}
