import { MATCHABLE_COMMANDS, type MessageFields } from './message-fields';

/**
 * Which messages a message toxic acts on, from its attributes. Every given field must match; an
 * empty one matches anything. `command` is a comma-separated list (case-insensitive); `job` matches
 * a message that names that KHX/1 job id (a RECORDED listing it among others too); `sequence` 0 is
 * any, and a DELIVER of several messages matches each sequence it carries.
 */
/** A toxic's attribute values (toxic.ts's AttributeValue; restated so this folder does not import toxics/). */
type AttributeValue = bigint | string;

export interface MessageMatch {
  readonly commands: ReadonlySet<string>;
  readonly service: string;
  readonly job: string;
  readonly topic: string;
  readonly sequence: number;
}

/** The attributes every message toxic takes (the matcher, and the cap on how many messages it affects). */
export const MATCH_ATTRIBUTES = [
  { name: 'command', goType: 'string' },
  { name: 'service', goType: 'string' },
  { name: 'job', goType: 'string' },
  { name: 'topic', goType: 'string' },
  { name: 'sequence', goType: 'int64' },
  { name: 'limit', goType: 'int64' },
] as const;

const str = (attributes: ReadonlyMap<string, AttributeValue>, name: string): string => {
  const value = attributes.get(name);
  return typeof value === 'string' ? value : '';
};

const int = (attributes: ReadonlyMap<string, AttributeValue>, name: string): bigint => {
  const value = attributes.get(name);
  return typeof value === 'bigint' ? value : 0n;
};

function commandList(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name !== '');
}

/** Why these attributes cannot make a matcher, naming the field; undefined when they can. */
export function matchRefusal(attributes: ReadonlyMap<string, AttributeValue>): string | undefined {
  const unknown = commandList(str(attributes, 'command')).filter((name) => !MATCHABLE_COMMANDS.includes(name));
  if (unknown.length > 0) return `attributes.command: unknown command ${JSON.stringify(unknown[0])} (known: ${MATCHABLE_COMMANDS.join(', ')})`;
  for (const name of ['sequence', 'limit']) {
    const value = int(attributes, name);
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) return `attributes.${name}: ${value} is out of range (0 to ${Number.MAX_SAFE_INTEGER})`;
  }
  return undefined;
}

export function messageMatch(attributes: ReadonlyMap<string, AttributeValue>): MessageMatch {
  return {
    commands: new Set(commandList(str(attributes, 'command'))),
    service: str(attributes, 'service'),
    job: str(attributes, 'job'),
    topic: str(attributes, 'topic'),
    sequence: Number(int(attributes, 'sequence')),
  };
}

export function matches(match: MessageMatch, fields: MessageFields | undefined): boolean {
  if (!fields) return false;
  if (match.commands.size > 0 && !match.commands.has(fields.command)) return false;
  if (match.service !== '' && fields.service !== match.service) return false;
  if (match.job !== '' && !fields.jobs.includes(match.job)) return false;
  if (match.topic !== '' && fields.topic !== match.topic) return false;
  // A DELIVER of several messages (KHP/1 revision 4) matches a sequence it carries.
  if (match.sequence !== 0 && (fields.sequence === undefined || match.sequence < fields.sequence || match.sequence > (fields.lastSequence ?? fields.sequence))) return false;
  return true;
}
