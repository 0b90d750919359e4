import type { MessageToxicType } from '../network/proxied-network';

/**
 * Message faults as data: keelhaul's message toxics (docs/fault-proxy.md), which act on individual
 * ZeroMQ messages on a link, matched by protocol fields, instead of on its bytes. They exist only
 * in keelhaul's fault proxy: a real Toxiproxy (TOXIPROXY_URL) refuses them (`invalid toxic type`).
 */

/** Which messages: every given field must match, an absent one matches anything. */
export interface MessageSelector {
  /** 7/MDP, KHX/1 or KHP/1 command; a comma-separated list is any of them (READY, REQUEST, REPLY, HEARTBEAT, RECORDED, CLIENT-REQUEST, DELIVER, …). */
  command?: string;
  /** 7/MDP service (READY, client request and reply). */
  service?: string;
  /** KHX/1 job id (a RECORDED listing it among others matches too). */
  job?: string;
  /** KHP/1 topic. */
  topic?: string;
  /** KHP/1 sequence (ACCEPTED, DELIVER, ACK). */
  sequence?: number;
}

/** Heartbeats only: 7/MDP's and KHP/1's HEARTBEAT messages, nothing else. */
export const HEARTBEATS: MessageSelector = { command: 'HEARTBEAT' };

interface MessageToxicBase {
  match: MessageSelector;
  /** At most this many messages affected by each of its toxics (one per link and direction); absent: no cap. */
  limit?: number;
}

export type MessageToxic =
  | (MessageToxicBase & { kind: 'drop-messages' })
  | (MessageToxicBase & { kind: 'duplicate-messages' })
  /** Each matched message held `delayMs`; the messages behind it overtake it. */
  | (MessageToxicBase & { kind: 'delay-messages'; delayMs: number })
  /** Matched messages swapped in pairs; one without a successor within `windowMs` goes on unswapped. */
  | (MessageToxicBase & { kind: 'reorder-messages'; windowMs: number });


const MESSAGE_FAULT_KINDS: readonly string[] = ['drop-messages', 'duplicate-messages', 'delay-messages', 'reorder-messages'];

export function isMessageToxic(toxic: { kind: string }): toxic is MessageToxic {
  return MESSAGE_FAULT_KINDS.includes(toxic.kind);
}

/** The fault proxy's toxic for a message fault. */
export function messageToxicOf(toxic: MessageToxic): { type: MessageToxicType; attributes: Record<string, number | string> } {
  const { command, service, job, topic, sequence } = toxic.match;
  const attributes: Record<string, number | string> = {};
  for (const [name, value] of Object.entries({ command, service, job, topic, sequence, limit: toxic.limit })) if (value !== undefined) attributes[name] = value;
  switch (toxic.kind) {
    case 'drop-messages':
      return { type: 'zmtp_drop', attributes };
    case 'duplicate-messages':
      return { type: 'zmtp_duplicate', attributes };
    case 'delay-messages':
      return { type: 'zmtp_delay', attributes: { ...attributes, delay: toxic.delayMs } };
    case 'reorder-messages':
      return { type: 'zmtp_reorder', attributes: { ...attributes, timeout: toxic.windowMs } };
  }
}

/** "HEARTBEAT messages", "REPLY messages of job j-17", for fault descriptions. */
export function describeMessages(match: MessageSelector): string {
  const what = match.command ? `${match.command} messages` : 'messages';
  const of = [match.service && `service ${match.service}`, match.job && `job ${match.job}`, match.topic && `topic ${match.topic}`, match.sequence && `sequence ${match.sequence}`].filter(Boolean);
  return of.length > 0 ? `${what} of ${of.join(', ')}` : what;
}

/** What a message fault did, summed over its toxics: read from the fault proxy when it heals. */
export interface MessageCounts {
  matched: number;
  affected: number;
  /** Connection streams its dissector could not read (CURVE, not ZMTP 3.x), and why the last one. */
  unparsedStreams: number;
  unparsedReason?: string;
}

/** Sums the read-only counts the fault proxy shows in each toxic's attributes. */
export function sumMessageCounts(attributes: readonly Record<string, unknown>[]): MessageCounts {
  const sum: MessageCounts = { matched: 0, affected: 0, unparsedStreams: 0 };
  for (const each of attributes) {
    sum.matched += Number(each.matched ?? 0);
    sum.affected += Number(each.affected ?? 0);
    sum.unparsedStreams += Number(each.unparsed_streams ?? 0);
    if (typeof each.unparsed_reason === 'string' && each.unparsed_reason !== '') sum.unparsedReason = each.unparsed_reason;
  }
  return sum;
}
