import { PositionFile, Subscriber, type SubscriberOptions } from '../pubsub/subscriber';
import { emit, parseObject } from './publisher-driver';
import type { Logger } from '../util/log';
import { commandLines } from './stdin-commands';

/**
 * The subscriber driver (docs/drivers.md, "Pub/sub drivers"): subscribe/unsubscribe commands read
 * from stdin, and a `deliver` report for every message get() hands out. With a positions file the
 * report is written synchronously right after the position is committed. A SIGKILL between the two
 * would lose the report, so a restarted driver first reports again the last message it took on each
 * topic, marked `"repeat": true`: the harness keeps it only if the first report never arrived.
 */

export interface TopicCommand {
  type: 'subscribe' | 'unsubscribe';
  topic: string;
}

export type SubscriberReport =
  | { type: 'ready'; role: 'subscriber'; subscriber: string }
  | { type: 'subscribed' | 'unsubscribed'; topic: string }
  | { type: 'deliver'; topic: string; msg: string; publisher: string; seq: number; subscriber: string; payload?: string; repeat?: true }
  | { type: 'error'; error: string; topic?: string };

export function parseTopicCommand(line: string): TopicCommand {
  const command = parseObject(line);
  if (command.type !== 'subscribe' && command.type !== 'unsubscribe') throw new Error(`unknown command type ${JSON.stringify(command.type)} (expected "subscribe" or "unsubscribe")`);
  if (typeof command.topic !== 'string' || command.topic === '') throw new Error('"topic" must be a non-empty string');
  return { type: command.type, topic: command.topic };
}

export interface SubscriberDriverOptions extends SubscriberOptions {
  /** Topics to subscribe to at start, as if commanded. */
  topics?: string[];
}

/** Runs until stdin closes or a SIGTERM comes; resolves after the subscriber is closed. */
export async function runSubscriberDriver(options: SubscriberDriverOptions, log: Logger): Promise<void> {
  const subscriber = await Subscriber.open({ ...options, logger: log });
  const report = (line: SubscriberReport): void => emit(line);
  if (subscriber.positionStore instanceof PositionFile) {
    for (const taken of subscriber.positionStore.lastTaken.values()) report({ type: 'deliver', ...taken, subscriber: subscriber.id, repeat: true });
  }
  const operate = async (command: TopicCommand): Promise<void> => {
    try {
      if (command.type === 'subscribe') await subscriber.subscribe(command.topic);
      else await subscriber.unsubscribe(command.topic);
      report({ type: command.type === 'subscribe' ? 'subscribed' : 'unsubscribed', topic: command.topic });
    } catch (error) {
      report({ type: 'error', topic: command.topic, error: `${command.type} ${command.topic}: ${(error as Error).message}` });
    }
  };

  let stopped = false;
  const delivering = (async () => {
    while (!stopped) {
      // Reported in onTake: synchronously right after the position is committed (rename(2)), so
      // the report and the position are separated by no I/O wait (docs/protocol.md, KHP/1).
      try {
        await subscriber.get(undefined, {
          timeoutMs: 200,
          onTake: (delivery) =>
            report({ type: 'deliver', topic: delivery.topic, msg: delivery.msg, publisher: delivery.publisher, seq: delivery.seq, subscriber: subscriber.id, payload: delivery.payload.toString() }),
        });
      } catch (error) {
        // The proxy refused our subscriber id (secure mode): nothing more will come; commands still get their answer (an error).
        report({ type: 'error', error: (error as Error).message });
        return;
      }
    }
  })();

  report({ type: 'ready', role: 'subscriber', subscriber: subscriber.id });
  const operations = new Set<Promise<void>>();
  const track = (operation: Promise<void>): void => {
    operations.add(operation);
    void operation.finally(() => operations.delete(operation));
  };
  for (const topic of options.topics ?? []) track(operate({ type: 'subscribe', topic }));
  for await (const line of commandLines()) {
    if (line.trim() === '') continue;
    try {
      track(operate(parseTopicCommand(line)));
    } catch (error) {
      report({ type: 'error', error: `bad command ${JSON.stringify(line.slice(0, 200))}: ${(error as Error).message}` });
    }
  }
  await Promise.all(operations);
  stopped = true;
  await delivering;
  await subscriber.close();
}
