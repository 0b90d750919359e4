/** ZMTP 3.x byte streams built by hand for the dissector's tests (the layouts of zeromq/rfc 23 and 37). */

export function greeting(mechanism = 'NULL', major = 3, minor = 1): Buffer {
  const bytes = Buffer.alloc(64);
  bytes[0] = 0xff;
  bytes[9] = 0x7f;
  bytes[10] = major;
  bytes[11] = minor;
  bytes.write(mechanism, 12, 'latin1');
  return bytes;
}

function frame(flags: number, body: Buffer): Buffer {
  if (body.length > 255) {
    const header = Buffer.alloc(9);
    header[0] = flags | 0x02;
    header.writeBigUInt64BE(BigInt(body.length), 1);
    return Buffer.concat([header, body]);
  }
  return Buffer.concat([Buffer.from([flags, body.length]), body]);
}

/** A command frame: name length, name, data. */
export function command(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  return frame(0x04, Buffer.concat([Buffer.from([name.length]), Buffer.from(name, 'latin1'), data]));
}

/** One message: every frame but the last has MORE. */
export function message(...frames: (string | Buffer)[]): Buffer {
  return Buffer.concat(frames.map((body, i) => frame(i < frames.length - 1 ? 0x01 : 0x00, typeof body === 'string' ? Buffer.from(body, 'latin1') : body)));
}

export const MDP_HEARTBEAT = message('', 'MDPW01', Buffer.from([4]));
export const mdpReady = (service: string): Buffer => message('', 'MDPW01', Buffer.from([1]), service);
export const mdpReply = (job: string, body: string): Buffer => message('', 'MDPW01', Buffer.from([3]), job, '', body);
export const mdpRecorded = (...jobs: string[]): Buffer => message('', 'MDPW01', Buffer.from([6]), ...jobs);
export const khpDeliver = (topic: string, sequence: number): Buffer => message('KHP01', 'DELIVER', topic, String(sequence), 'pub-1', `m-${sequence}`, 'payload');
