// LiveKit text streams (what `localParticipant.sendText` sends and `registerTextStreamHandler` reads) as
// data-channel packets: encoded as header + chunk + trailer, the form every LiveKit SDK reads, and decoded
// in both forms SDKs send — that one, and the single-packet form with the text inline in the header
// (deflate-raw compressed or not). Written here because no LiveKit SDK exposes its stream codec on its own.
import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import {
  DataPacket,
  DataPacket_Kind,
  DataStream_Chunk,
  DataStream_CompressionType,
  DataStream_Header,
  DataStream_OperationType,
  DataStream_TextHeader,
  DataStream_Trailer,
} from '@livekit/protocol';

export interface TextMessage {
  topic: string;
  /** The sender's identity (the SFU fills it in). */
  from: string;
  text: string;
  attributes: Record<string, string>;
}

export interface SendTextOptions {
  topic: string;
  /** Only these participants get it; everyone when empty. */
  destinationIdentities?: string[];
  attributes?: Record<string, string>;
}

/** A text that fits one chunk (chat-sized), as the data packets to send on the reliable channel, in order. */
export function encodeText(text: string, options: SendTextOptions): Uint8Array[] {
  const streamId = randomUUID();
  const content = new TextEncoder().encode(text);
  const packet = (value: DataPacket['value']) =>
    new DataPacket({
      kind: DataPacket_Kind.RELIABLE,
      destinationIdentities: options.destinationIdentities ?? [],
      value,
    }).toBinary();
  return [
    packet({
      case: 'streamHeader',
      value: new DataStream_Header({
        streamId,
        timestamp: BigInt(Date.now()),
        topic: options.topic,
        mimeType: 'text/plain',
        totalLength: BigInt(content.byteLength),
        attributes: options.attributes ?? {},
        contentHeader: {
          case: 'textHeader',
          value: new DataStream_TextHeader({ operationType: DataStream_OperationType.CREATE }),
        },
      }),
    }),
    packet({ case: 'streamChunk', value: new DataStream_Chunk({ streamId, chunkIndex: 0n, content }) }),
    packet({ case: 'streamTrailer', value: new DataStream_Trailer({ streamId }) }),
  ];
}

function decode(chunks: Uint8Array[], compressed: boolean): string {
  const bytes = Buffer.concat(chunks);
  return new TextDecoder().decode(compressed ? inflateRawSync(bytes) : bytes);
}

/** Reassembles text streams from data packets; streams of other kinds are ignored. */
export class TextStreamDecoder {
  private readonly open = new Map<
    string,
    { message: TextMessage; chunks: Uint8Array[]; compressed: boolean }
  >();

  /** Feeds one data packet; returns the message it completes, if any. Malformed packets are ignored. */
  add(data: Uint8Array): TextMessage | undefined {
    try {
      return this.read(DataPacket.fromBinary(data));
    } catch {
      return undefined;
    }
  }

  private read(packet: DataPacket): TextMessage | undefined {
    const { value } = packet;
    switch (value.case) {
      case 'streamHeader': {
        const header = value.value;
        if (header.contentHeader.case !== 'textHeader') return undefined;
        const message: TextMessage = {
          topic: header.topic,
          from: packet.participantIdentity,
          text: '',
          attributes: { ...header.attributes },
        };
        const compressed = header.compression === DataStream_CompressionType.DEFLATE_RAW;
        if (header.inlineContent !== undefined) {
          message.text = decode([header.inlineContent], compressed);
          return message;
        }
        this.open.set(header.streamId, { message, chunks: [], compressed });
        return undefined;
      }
      case 'streamChunk':
        this.open.get(value.value.streamId)?.chunks.push(value.value.content);
        return undefined;
      case 'streamTrailer': {
        const stream = this.open.get(value.value.streamId);
        if (!stream) return undefined;
        this.open.delete(value.value.streamId);
        stream.message.text = decode(stream.chunks, stream.compressed);
        Object.assign(stream.message.attributes, value.value.attributes);
        return stream.message;
      }
      default:
        return undefined;
    }
  }
}
