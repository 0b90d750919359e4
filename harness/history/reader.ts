import type { HistoryEvent, HistoryEventType } from './event';

/** Fields each event type must carry as strings; checked so checkers never meet a half-formed event. */
const REQUIRED_STRINGS: Record<HistoryEventType, readonly string[]> = {
  invoke: ['process', 'job', 'service'],
  ok: ['process', 'job', 'reply'],
  fail: ['process', 'job', 'error'],
  info: ['process', 'job', 'error'],
  'exec-start': ['worker', 'job'],
  'exec-end': ['worker', 'job'],
  nemesis: ['phase', 'id', 'fault'],
  harness: [],
  put: ['process', 'topic', 'msg'],
  'put-ok': ['process', 'topic', 'msg'],
  'put-fail': ['process', 'topic', 'msg', 'error'],
  'put-info': ['process', 'topic', 'msg', 'error'],
  subscribe: ['subscriber', 'topic'],
  subscribed: ['subscriber', 'topic'],
  unsubscribe: ['subscriber', 'topic'],
  unsubscribed: ['subscriber', 'topic'],
  deliver: ['subscriber', 'topic', 'msg', 'publisher'],
};

function isEventType(value: unknown): value is HistoryEventType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REQUIRED_STRINGS, value);
}

/** Returns the reason `value` is not a history event, or undefined when it is one. */
function invalidReason(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  if (!isEventType(record.type)) return `unknown event type ${JSON.stringify(record.type)}`;
  if (typeof record.t !== 'number' || !Number.isFinite(record.t)) return 'missing or non-numeric "t"';
  for (const field of REQUIRED_STRINGS[record.type]) {
    if (typeof record[field] !== 'string') return `${record.type} event without string "${field}"`;
  }
  if (record.type === 'nemesis') {
    if (record.phase !== 'start' && record.phase !== 'end') return `nemesis phase ${JSON.stringify(record.phase)}`;
    const targets = record.targets;
    if (!Array.isArray(targets) || !targets.every((target) => typeof target === 'string')) {
      return 'nemesis event without string array "targets"';
    }
  }
  if ((record.type === 'info' || record.type === 'put-info') && record.accepted !== undefined && typeof record.accepted !== 'boolean') {
    return `${record.type} "accepted" is not a boolean`;
  }
  return undefined;
}

/** Parses a JSON-lines history (as written by HistoryRecorder). Blank lines are skipped. */
export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`history line ${lineNumber}: invalid JSON (${(error as Error).message})`);
    }
    const reason = invalidReason(value);
    if (reason !== undefined) throw new Error(`history line ${lineNumber}: ${reason}`);
    events.push(value as HistoryEvent);
  });
  return events;
}
