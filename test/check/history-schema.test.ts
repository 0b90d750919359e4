import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import type { HistoryEvent } from '../../harness/history/event';
import { HistoryFormatError, parseHistory } from '../../harness/history/reader';
import { HistoryRecorder } from '../../harness/history/recorder';
import { HISTORY_EVENT_SCHEMA, renderHistorySchema, SCHEMA_EVENT_TYPES } from '../../harness/history/schema';

const ROOT = path.resolve(__dirname, '../../..');
const EVENT_TS = path.join(ROOT, 'harness/history/event.ts');
const SCHEMA_JSON = path.join(ROOT, 'docs/history-event.schema.json');

/**
 * A type's shape, the same for a TypeScript type and a JSON Schema, so the two can be compared: the
 * schema must say exactly what event.ts says (fields, which are optional, what each holds).
 */
type Shape = string | { enum: string[] } | { array: Shape } | { map: Shape } | { object: Record<string, { optional: boolean; shape: Shape }> };

function shapeOfType(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): Shape {
  const flags = type.getFlags();
  if (flags & ts.TypeFlags.String) return 'string';
  if (flags & ts.TypeFlags.Number) return 'number';
  if (flags & ts.TypeFlags.Boolean || flags & ts.TypeFlags.BooleanLiteral || (type.isUnion() && type.types.every((member) => member.getFlags() & ts.TypeFlags.BooleanLiteral))) return 'boolean';
  if (type.isStringLiteral()) return { enum: [type.value] };
  if (type.isUnion() && type.types.every((member) => member.isStringLiteral())) return { enum: type.types.map((member) => (member as ts.StringLiteralType).value).sort() };
  if (checker.isArrayType(type)) return { array: shapeOfType(checker, checker.getTypeArguments(type as ts.TypeReference)[0], at) };
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index !== undefined && type.getProperties().length === 0) return { map: shapeOfType(checker, index.type, at) };
  const object: Record<string, { optional: boolean; shape: Shape }> = {};
  for (const property of type.getProperties()) {
    const optional = (property.getFlags() & ts.SymbolFlags.Optional) !== 0;
    object[property.getName()] = { optional, shape: shapeOfType(checker, checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, at)), at) };
  }
  return { object };
}

interface SchemaNode {
  type?: string;
  const?: string | boolean;
  enum?: string[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
}

function shapeOfSchema(schema: SchemaNode): Shape {
  // A field that is only ever `true` (fail.killed) is a boolean to both sides.
  if (schema.const !== undefined) return typeof schema.const === 'boolean' ? 'boolean' : { enum: [schema.const] };
  if (schema.enum !== undefined) return { enum: [...schema.enum].sort() };
  if (schema.type === 'array') return { array: shapeOfSchema(schema.items ?? {}) };
  if (schema.type === 'object' && schema.properties === undefined && typeof schema.additionalProperties === 'object') return { map: shapeOfSchema(schema.additionalProperties) };
  if (schema.type === 'object') {
    assert.equal(schema.additionalProperties, false, 'every object of the schema refuses unknown fields');
    const object: Record<string, { optional: boolean; shape: Shape }> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) object[name] = { optional: !(schema.required ?? []).includes(name), shape: shapeOfSchema(property) };
    return { object };
  }
  return schema.type ?? 'any';
}

/** Each member of event.ts's HistoryEvent union, by its `type`, as a Shape. */
function eventTypesOfSource(): Map<string, Shape> {
  const program = ts.createProgram([EVENT_TS], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(EVENT_TS);
  assert.ok(source, `cannot read ${EVENT_TS}`);
  const alias = source.statements.find((statement): statement is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(statement) && statement.name.text === 'HistoryEvent');
  assert.ok(alias, 'event.ts declares HistoryEvent');
  const union = checker.getTypeAtLocation(alias.name);
  assert.ok(union.isUnion(), 'HistoryEvent is a union');
  const shapes = new Map<string, Shape>();
  for (const member of union.types) {
    const shape = shapeOfType(checker, member, alias);
    assert.ok(typeof shape === 'object' && 'object' in shape);
    const tag = shape.object.type?.shape;
    assert.ok(typeof tag === 'object' && 'enum' in tag && tag.enum.length === 1, 'every event has one literal type');
    shapes.set(tag.enum[0], shape);
  }
  return shapes;
}

describe('the history schema', () => {
  test('says exactly what event.ts says: the same event types, fields, optional fields and field types', () => {
    const fromSource = eventTypesOfSource();
    const fromSchema = new Map(HISTORY_EVENT_SCHEMA.oneOf.map((branch) => [(branch.properties as { type: { const: string } }).type.const, shapeOfSchema(branch as SchemaNode)]));
    assert.deepEqual([...fromSchema.keys()].sort(), [...fromSource.keys()].sort(), 'event types (add a branch to harness/history/schema.ts for a new event)');
    for (const [type, shape] of fromSource) assert.deepEqual(fromSchema.get(type), shape, `the ${type} event: harness/history/schema.ts and harness/history/event.ts disagree`);
    assert.equal(fromSource.size, 32, 'the event vocabulary this test was written against (a new type is fine; update the count)');
  });

  test('docs/history-event.schema.json is the schema the code validates with', () => {
    assert.equal(fs.readFileSync(SCHEMA_JSON, 'utf8'), renderHistorySchema(), 'regenerate it: node dist/harness/history/schema.js > docs/history-event.schema.json');
  });

  test("docs/history.md's table lists every event type with the schema's fields and optional fields", () => {
    const rows = [...fs.readFileSync(path.join(ROOT, 'docs/history.md'), 'utf8').matchAll(/^\| `([a-z-]+)` \| ([^|]*)\| ([^|]*)\|$/gm)];
    const fields = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
    const documented = rows.map((row) => ({ type: row[1], required: fields(row[2]), optional: fields(row[3]) }));
    const schema = HISTORY_EVENT_SCHEMA.oneOf.map((branch) => {
      const properties = Object.keys(branch.properties as object);
      const required = branch.required as string[];
      return { type: (branch.properties as { type: { const: string } }).type.const, required: required.filter((f) => f !== 'type' && f !== 't'), optional: properties.filter((f) => !required.includes(f)) };
    });
    assert.deepEqual(documented, schema);
  });

  test('accepts one event of every type as the recorder writes it, and parseHistory reads them back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-schema-'));
    try {
      const file = path.join(dir, 'history.jsonl');
      const recorder = new HistoryRecorder({ file });
      recorder.record({ type: 'invoke', process: 'client-1', job: 'j', service: 'echo' });
      recorder.record({ type: 'exec-start', worker: 'worker-1', job: 'j' });
      recorder.record({ type: 'exec-end', worker: 'worker-1', job: 'j' });
      recorder.record({ type: 'ok', process: 'client-1', job: 'j', reply: 'j' });
      recorder.record({ type: 'fail', process: 'client-1', job: 'k', error: 'no such service' });
      recorder.record({ type: 'info', process: 'client-1', job: 'l', error: 'timeout', accepted: true });
      recorder.record({
        type: 'nemesis',
        phase: 'start',
        id: 'f1',
        fault: 'latency',
        targets: ['worker-1'],
        effect: { hit: true, jobsInFlight: ['j'], links: ['worker-1->broker'], direction: 'both', toxic: { type: 'latency', attributes: { latency: 100, jitter: 0 } }, durationMs: 5 },
      });
      recorder.record({ type: 'nemesis', phase: 'start', id: 'f2', fault: 'kill', targets: ['sub-1'], effect: { hit: true, messagesOwed: 3, subscriptions: ['sub-1:a'], putsInFlight: ['m-1'] } });
      recorder.record({ type: 'nemesis', phase: 'end', id: 'f1', fault: 'latency', targets: ['worker-1'] });
      recorder.record({ type: 'harness', windowMs: 500, lagMaxMs: 3, lagP99Ms: 2, load1: 0.5, cpus: 2 });
      recorder.record({ type: 'subscribe', subscriber: 'sub-1', topic: 'a' });
      recorder.record({ type: 'subscribed', subscriber: 'sub-1', topic: 'a' });
      recorder.record({ type: 'put', process: 'pub-1', topic: 'a', msg: 'm-1' });
      recorder.record({ type: 'put-ok', process: 'pub-1', topic: 'a', msg: 'm-1' });
      recorder.record({ type: 'put-fail', process: 'pub-1', topic: 'a', msg: 'm-2', error: 'busy' });
      recorder.record({ type: 'put-info', process: 'pub-1', topic: 'a', msg: 'm-3', error: 'timeout' });
      recorder.record({ type: 'deliver', subscriber: 'sub-1', topic: 'a', msg: 'm-1', publisher: 'pub-1' });
      recorder.record({ type: 'unsubscribe', subscriber: 'sub-1', topic: 'a' });
      recorder.record({ type: 'unsubscribed', subscriber: 'sub-1', topic: 'a' });
      recorder.record({ type: 'policy', principals: { 'client-1': { call: ['echo'] }, 'sub-1': { subscribe: ['a*'], subscriberIds: ['sub-1'] } } });
      recorder.record({ type: 'revoked', principal: 'sub-1', boundMs: 150 });
      recorder.record({ type: 'attack', id: 'a1', attack: 'oversized-frame', principal: 'evil', sent: 'one 64 MB frame', performed: true, outcome: 'connection dropped', served: true });
      recorder.record({ type: 'attack', id: 'a2', attack: 'forged-reply', principal: 'evil', sent: 'REPLY', performed: false, outcome: 'nothing', error: 'no job dispatched' });
      recorder.record({ type: 'receive', principal: 'evil', kind: 'reply', service: 'echo', job: 'j', resultOf: 'client-1', attack: 'a2' });
      recorder.record({ type: 'receive', principal: 'evil', kind: 'deliver', topic: 'a', msg: 'm-1', subscriberId: 'sub-1' });
      recorder.record({ type: 'kill', process: 'client-2', job: 'k' });
      recorder.record({ type: 'exec-killed', worker: 'worker-1', job: 'k' });
      recorder.record({ type: 'kill-answer', process: 'client-2', job: 'k', outcome: 'killed' });
      recorder.record({ type: 'fail', process: 'client-1', job: 'k', error: 'killed: 409', killed: true });
      recorder.record({ type: 'kill', process: 'client-2', job: 'm' });
      recorder.record({ type: 'kill-info', process: 'client-2', job: 'm', error: 'no answer after 3 attempts' });
      recorder.record({ type: 'orphan', process: 'client-1', job: 'j', what: 'late-reply', detail: 'job reply 200 from "echo" after its call ended' });
      recorder.record({ type: 'orphan', worker: 'worker-1', job: 'j', what: 'late-result', detail: 'result for a job already answered' });
      recorder.record({ type: 'service-policy', service: 'echo', class: 'retry', retry: { attempts: 5, initial: 100, multiplier: 2, cap: 2000, jitter: 'full', budget: { maxTokens: 10, ratio: 0.1 }, maxAmplification: 3 }, overload: { capacityPerSecond: 50, recoverWithinMs: 3000, fraction: 0.5 } });
      recorder.record({ type: 'service-policy', service: 'step', class: 'give-up', giveUpMs: 800, retry: { attempts: 5, initial: 100, multiplier: 2, cap: 2000, jitter: 'equal' } });
      recorder.record({ type: 'attempt', process: 'client-1', job: 'n', n: 1 });
      recorder.record({ type: 'attempt-fail', process: 'client-1', job: 'n', n: 1, reason: 'timeout' });
      recorder.record({ type: 'sent', process: 'client-1', job: 'o', ms: 0.4 });
      recorder.record({ type: 'dropped', process: 'client-1', job: 'p', reason: 'queue full' });
      recorder.record({ type: 'shed', process: 'client-1', service: 'echo' });
      recorder.close();
      const events: HistoryEvent[] = parseHistory(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(events, recorder.events());
      assert.deepEqual([...new Set(events.map((event) => event.type))].sort(), [...SCHEMA_EVENT_TYPES].sort(), 'one event of every type');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const reasonOf = (text: string): { line: number; reason: string } => {
    try {
      parseHistory(text);
    } catch (error) {
      assert.ok(error instanceof HistoryFormatError, String(error));
      return { line: error.line, reason: error.reason };
    }
    assert.fail(`accepted: ${text}`);
  };
  const good = '{"type":"invoke","t":1,"process":"c","job":"j","service":"echo"}';

  test('a bad line is named by its number and what is wrong with it', () => {
    assert.deepEqual(reasonOf(`${good}\n\n{"type":"ok","t":2,"process":"c","job":"j"}`), { line: 3, reason: 'ok event without string "reply"' });
    assert.match(reasonOf(`${good}\n{"type":"teleport","t":2}`).reason, /^unknown event type "teleport" \(known types: invoke, ok, /);
    assert.match(reasonOf('{"t":2}').reason, /^no "type" field/);
    assert.equal(reasonOf('{"type":"ok","t":2,"process":"c","job":"j","reply":"j","replyy":"j"}').reason, 'ok event has unknown field "replyy" (known here: type, t, process, job, reply, term, broker)');
    assert.equal(reasonOf('{"type":"ok","t":-2,"process":"c","job":"j","reply":"j"}').reason, 'ok "t" is -2, below 0');
    assert.equal(reasonOf('{"type":"ok","t":2,"process":"c","job":"j","reply":"j","term":-1}').reason, 'ok "term" is -1, below 0');
    assert.equal(reasonOf('{"type":"exec-start","t":2,"worker":"w","job":"j","term":1.5}').reason, 'exec-start "term" must be multiple of 1');
    assert.equal(reasonOf('{"type":"nemesis","t":2,"phase":"middle","id":"f","fault":"kill","targets":["w"]}').reason, 'nemesis "phase" is "middle", not one of start, end');
    assert.equal(reasonOf('{"type":"nemesis","t":2,"phase":"start","id":"f","fault":"kill","targets":["w"],"effect":{"jobsInFlight":[7]}}').reason, 'nemesis "effect.jobsInFlight[0]" is not a string: 7');
    assert.equal(reasonOf('{"type":"exec-end","t":"soon","worker":"w"}').reason, 'exec-end event without string "job"; exec-end "t" is not a number: "soon"');
    assert.equal(reasonOf('{"type":"kill-answer","t":2,"process":"c","job":"j","outcome":"maybe"}').reason, 'kill-answer "outcome" is "maybe", not one of killed, finished, unknown');
    assert.equal(reasonOf('{"type":"fail","t":2,"process":"c","job":"j","error":"killed","killed":false}').reason, 'fail "killed" is false, not true');
    assert.equal(reasonOf('{"type":"exec-killed","t":2,"job":"j"}').reason, 'exec-killed event without string "worker"');
    assert.equal(reasonOf('{"type":"orphan","t":2,"process":"c","job":"j","what":"late","detail":""}').reason, 'orphan "what" is "late", not one of late-reply, earlier-attempt, late-result, torn-down');
    assert.equal(reasonOf('{"type":"orphan","t":2,"job":"j","what":"late-reply","detail":""}').reason, 'orphan event must have exactly one of "process", "worker", "broker"');
    assert.equal(reasonOf('{"type":"orphan","t":2,"process":"c","worker":"w","job":"j","what":"late-reply","detail":""}').reason, 'orphan event must have exactly one of "process", "worker", "broker"');
    assert.equal(reasonOf('{"type":"attempt","t":2,"process":"c","job":"j","n":0}').reason, 'attempt "n" is 0, below 1');
    assert.equal(reasonOf('{"type":"attempt","t":2,"process":"c","job":"j","n":1.5}').reason, 'attempt "n" must be multiple of 1');
    assert.equal(reasonOf('{"type":"service-policy","t":0,"service":"echo","class":"maybe","retry":{"attempts":1,"initial":1,"multiplier":1,"cap":1,"jitter":"full"}}').reason, 'service-policy "class" is "maybe", not one of retry, give-up, best-effort');
    assert.equal(reasonOf('{"type":"service-policy","t":0,"service":"echo","class":"retry","retry":{"attempts":1,"initial":1,"multiplier":1,"cap":1}}').reason, 'service-policy event without string "retry.jitter"');
    assert.match(reasonOf(`${good}\n${good}\n{"type":`).reason, /^invalid JSON/);
    assert.equal(reasonOf(`${good}\n${good}\n{"type":`).line, 3);
  });
});
