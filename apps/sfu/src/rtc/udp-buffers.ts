import { UdpTransport } from 'werift';
import type { Logger } from '../logging.js';

/**
 * What every media socket asks the kernel to buffer. Linux's default (208 KB) holds about 160 packets:
 * one 4K keyframe is more, and a JavaScript event loop that stalls for a few hundred ms while it arrives
 * (a 2-core machine that also encodes, a GC) loses its tail in the kernel. The publisher's browser reads
 * that loss in its transport-cc feedback and cuts its estimate below the top layer for a minute. LiveKit
 * asks operators for the same (net.core.rmem_max ≥ 5 MB); the kernel caps the request at rmem_max.
 */
export const udpBufferBytes = 8 * 1024 * 1024;

let installed = false;

/**
 * Makes every UDP socket werift opens from now on (ICE host candidates; werift has no option for it)
 * ask for `udpBufferBytes` each way. Warns once when the kernel grants less than a quarter of it.
 */
export function enlargeUdpBuffers(log: Logger): void {
  if (installed) return;
  installed = true;
  const init = UdpTransport.init.bind(UdpTransport);
  let warned = false;
  UdpTransport.init = async (...args: Parameters<typeof UdpTransport.init>) => {
    const transport = await init(...args);
    try {
      transport.socket.setRecvBufferSize(udpBufferBytes);
      transport.socket.setSendBufferSize(udpBufferBytes);
    } catch (error) {
      log.warn({ err: error }, 'could not enlarge a UDP socket buffer');
    }
    const granted = transport.socket.getRecvBufferSize();
    if (!warned && granted < udpBufferBytes / 4) {
      warned = true;
      log.warn(
        { granted, wanted: udpBufferBytes },
        'the kernel caps UDP receive buffers: raise net.core.rmem_max (sysctl -w net.core.rmem_max=8388608) or 4K bursts lose packets',
      );
    }
    return transport;
  };
}
