/**
 * Z85 (ZeroMQ RFC 32): binary as printable text, 4 bytes ↔ 5 characters. CURVE keys travel in this
 * form (40 characters for 32 bytes). zeromq.js does not export libzmq's zmq_z85_encode/decode, so
 * this is a small one of our own.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Map<string, number>([...ALPHABET].map((char, index) => [char, index]));

/** Thrown for input Z85 cannot represent: the message says what is wrong. */
export class Z85Error extends Error {
  override readonly name = 'Z85Error';
}

/** Encodes `data`, whose length must be a multiple of 4. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new Z85Error(`Z85 encodes whole 4-byte groups: ${data.length} bytes is not a multiple of 4`);
  let text = '';
  for (let offset = 0; offset < data.length; offset += 4) {
    let value = ((data[offset]! << 24) >>> 0) + (data[offset + 1]! << 16) + (data[offset + 2]! << 8) + data[offset + 3]!;
    const group: string[] = [];
    for (let i = 0; i < 5; i++) {
      group.unshift(ALPHABET[value % 85]!);
      value = Math.floor(value / 85);
    }
    text += group.join('');
  }
  return text;
}

/** Decodes Z85 text, whose length must be a multiple of 5, into bytes. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new Z85Error(`Z85 text comes in 5-character groups: ${text.length} characters is not a multiple of 5`);
  const data = Buffer.alloc((text.length / 5) * 4);
  for (let offset = 0; offset < text.length; offset += 5) {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const digit = DECODE.get(text[offset + i]!);
      if (digit === undefined) throw new Z85Error(`${JSON.stringify(text[offset + i])} at position ${offset + i} is not a Z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Z85Error(`the group ${JSON.stringify(text.slice(offset, offset + 5))} at position ${offset} is larger than 4 bytes`);
    data.writeUInt32BE(value, (offset / 5) * 4);
  }
  return data;
}

/** True for a 40-character Z85 string: the text form of a 32-byte CURVE key. */
export function isZ85Key(text: string): boolean {
  if (text.length !== 40) return false;
  try {
    z85Decode(text);
    return true;
  } catch {
    return false;
  }
}
