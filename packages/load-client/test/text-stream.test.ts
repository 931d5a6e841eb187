// The chat's wire form: what encodeText sends, TextStreamDecoder reads back; and the single-packet form
// (inline, deflate-raw compressed or not) that newer LiveKit SDKs send is read too.
import { deflateRawSync } from 'node:zlib';
import {
  DataPacket,
  DataStream_CompressionType,
  DataStream_Header,
  DataStream_TextHeader,
  UserPacket,
} from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { encodeText, TextStreamDecoder } from '../src/text-stream.js';

/** As the SFU forwards a packet: with the sender's identity filled in. */
const forwarded = (bytes: Uint8Array, from: string) => {
  const packet = DataPacket.fromBinary(bytes);
  packet.participantIdentity = from;
  return packet.toBinary();
};

describe('text streams', () => {
  it('header, chunk and trailer round-trip: topic, sender, text, attributes, destinations', () => {
    const packets = encodeText('héllo 你好', {
      topic: 'chat',
      destinationIdentities: ['scenecast-moderator'],
      attributes: { a: '1' },
    });
    expect(packets).toHaveLength(3);
    expect(DataPacket.fromBinary(packets[0]!).destinationIdentities).toEqual(['scenecast-moderator']);
    const decoder = new TextStreamDecoder();
    expect(decoder.add(forwarded(packets[0]!, 'v1'))).toBeUndefined();
    expect(decoder.add(forwarded(packets[1]!, 'v1'))).toBeUndefined();
    expect(decoder.add(forwarded(packets[2]!, 'v1'))).toEqual({
      topic: 'chat',
      from: 'v1',
      text: 'héllo 你好',
      attributes: { a: '1' },
    });
  });

  it('reads the single-packet form, plain and deflate-raw compressed; ignores what is not a text stream', () => {
    const inline = (content: Uint8Array, compression: DataStream_CompressionType) =>
      new DataPacket({
        participantIdentity: 'm',
        value: {
          case: 'streamHeader',
          value: new DataStream_Header({
            streamId: 's',
            topic: 'chat',
            compression,
            inlineContent: content,
            contentHeader: { case: 'textHeader', value: new DataStream_TextHeader({}) },
          }),
        },
      }).toBinary();
    const decoder = new TextStreamDecoder();
    const text = 'relayed '.repeat(20);
    expect(decoder.add(inline(new TextEncoder().encode(text), DataStream_CompressionType.NONE))?.text).toBe(
      text,
    );
    expect(
      decoder.add(inline(deflateRawSync(Buffer.from(text)), DataStream_CompressionType.DEFLATE_RAW))?.text,
    ).toBe(text);
    expect(decoder.add(new Uint8Array([1, 2, 3, 250]))).toBeUndefined();
    expect(
      decoder.add(
        new DataPacket({ value: { case: 'user', value: new UserPacket({ topic: 'chat' }) } }).toBinary(),
      ),
    ).toBeUndefined();
  });
});
