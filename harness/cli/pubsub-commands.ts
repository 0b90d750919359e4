import { Command, InvalidArgumentError, Option } from 'commander';
import { createInterface } from 'node:readline';
import { DEFAULT_PROXY_OPTIONS, DEFAULT_PUBLISHER_OPTIONS, DEFAULT_SUBSCRIBER_OPTIONS, MAX_PUBLISHER_WINDOW } from '../../reference/pubsub/defaults';
import { MAX_BATCH_MESSAGES, nameProblem } from '../../reference/pubsub/codec';
import { parseProxyDefects, parseSubscriberDefects, type ProxyDefect, type SubscriberDefect } from '../../reference/defects';
import { createLogger } from '../../reference/util/log';
import { report } from '../../reference/drivers/protocol';
import { exitOnDamagedJournal, repairOption, runRepair, serveJournaled, unsafeNoSyncOption } from './journal-repair';
import {
  cliParser,
  curveKeyOption,
  endpoint,
  exitWithStdinOption,
  heartbeatOption,
  livenessOption,
  onShutdown,
  policyOption,
  positiveInt,
  peerSecurityOrExit,
  serverSecurityOrExit,
  serverKeyOption,
} from './node-options';

/**
 * `keelhaul pubsub-proxy`, `keelhaul publish` and `keelhaul subscribe`: the KHP/1 reference nodes
 * (docs/protocol.md, "Reliable pub/sub: KHP/1"; driver mode: docs/drivers.md). main.ts calls
 * registerPubSubCommands(program).
 */

export const DEFAULT_PUBSUB_ENDPOINT = 'tcp://127.0.0.1:5560';

/** Exit status of `publish` when a put failed definitely (not accepted) and indefinitely (unknown). */
export const PUBLISH_EXIT = { definite: 1, indefinite: 2 } as const;


function khpName(what: string): (value: string) => string {
  return (value) => {
    const problem = nameProblem(value, what);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    return value;
  };
}

function topicList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), khpName('topic')(value)];
}

export function registerPubSubCommands(program: Command): void {
  program
    .command('pubsub-proxy')
    .description('run the reference KHP/1 pub/sub proxy: exactly-once delivery to durable subscribers (docs/protocol.md)')
    .addOption(new Option('--endpoint <endpoint>', 'address to bind').argParser(endpoint).default(DEFAULT_PUBSUB_ENDPOINT))
    .addOption(new Option('--name <name>', 'node name used in logs').default('pubsub-proxy'))
    .addOption(new Option('--journal <file>', 'journal file: accepted messages, subscriptions and positions survive a crash (without it they live in memory only)'))
    .addOption(heartbeatOption(DEFAULT_PROXY_OPTIONS.heartbeatInterval))
    .addOption(livenessOption(DEFAULT_PROXY_OPTIONS.heartbeatLiveness))
    .addOption(new Option('--max-pending <n>', 'puts on a topic are refused (busy) while one of its subscribers has this many messages pending').argParser(positiveInt).default(DEFAULT_PROXY_OPTIONS.maxPending))
    .addOption(new Option('--window <n>', 'unacknowledged deliveries in flight per subscriber and topic').argParser(positiveInt).default(DEFAULT_PROXY_OPTIONS.window))
    .addOption(new Option('--max-message-size <bytes>', 'largest message a peer may send; a peer that sends more is disconnected (ZMQ_MAXMSGSIZE)').argParser(positiveInt).default(DEFAULT_PROXY_OPTIONS.maxMessageSize))
    .addOption(new Option('--max-topics <n>', 'most topics known at once; a put on a new topic past it is refused (busy)').argParser(positiveInt).default(DEFAULT_PROXY_OPTIONS.maxTopics))
    .addOption(new Option('--dedup-retention <n>', 'how many (publisher, message id) pairs are remembered for dedup').argParser(positiveInt).default(DEFAULT_PROXY_OPTIONS.dedupRetention))
    .addOption(new Option('--compaction-min-records <n>', 'the journal is compacted once it holds this many records and 4 times its live state; each compaction is reported on stdout').argParser(positiveInt))
    .addOption(
      new Option('--subscriber-eviction <ms>', 'a subscriber id with no session for this long loses its subscriptions (durably; its pending messages are released)')
        .argParser(positiveInt)
        .default(DEFAULT_PROXY_OPTIONS.subscriberEviction),
    )
    .addOption(curveKeyOption())
    .addOption(policyOption())
    .addOption(repairOption())
    .addOption(unsafeNoSyncOption())
    .addOption(exitWithStdinOption())
    .addOption(new Option('--seed-defect <names>', 'start with these defects (reference/defects.ts), to test that the suite catches them').argParser(cliParser(parseProxyDefects)).hideHelp())
    .action(async (opts: { seedDefect?: ProxyDefect[]; dedupRetention: number; compactionMinRecords?: number; unsafeNoSync?: boolean; endpoint: string; name: string; journal?: string; heartbeat: number; liveness: number; maxPending: number; window: number; maxMessageSize: number; maxTopics: number; subscriberEviction: number; curveKey?: string; policy?: string; repair?: boolean; exitWithStdin?: boolean }) => {
      if (opts.repair) process.exit(await runRepair('pubsub-proxy', opts.journal));
      const security = serverSecurityOrExit(opts);
      const logger = createLogger(opts.name);
      const { PubSubProxy } = await import('../../reference/pubsub/proxy');
      const proxy = await PubSubProxy.start({
        endpoint: opts.endpoint,
        journal: opts.journal,
        fsync: !opts.unsafeNoSync,
        heartbeatInterval: opts.heartbeat,
        heartbeatLiveness: opts.liveness,
        maxPending: opts.maxPending,
        window: opts.window,
        maxMessageSize: opts.maxMessageSize,
        maxTopics: opts.maxTopics,
        subscriberEviction: opts.subscriberEviction,
        defects: opts.seedDefect,
        dedupRetention: opts.dedupRetention,
        ...(opts.compactionMinRecords !== undefined && { compactionMinRecords: opts.compactionMinRecords }),
        onCompacted: (figures) => report({ type: 'journal-compacted', ...figures }),
        security,
        logger,
      }).catch(exitOnDamagedJournal);
      serveJournaled(proxy, 'pubsub-proxy', opts.journal, Boolean(opts.exitWithStdin));
    });

  program
    .command('publish')
    .description('publish messages (the arguments, or else each stdin line) on a topic; with --driver, run puts read from stdin as JSON lines')
    .argument('[messages...]', 'messages to publish, one put each')
    .addOption(new Option('--proxy <endpoint>', 'proxy to connect to').argParser(endpoint).default(DEFAULT_PUBSUB_ENDPOINT))
    .addOption(new Option('--topic <topic>', 'topic to publish on (required without --driver)').argParser(khpName('topic')))
    .addOption(new Option('--id <id>', 'publisher id (dedup key with the message id; default: the --name with --driver, else a random UUID)').argParser(khpName('publisher id')))
    .addOption(new Option('--name <name>', 'node name used in logs').default('publisher'))
    .addOption(new Option('--timeout <ms>', 'answer timeout per attempt').argParser(positiveInt).default(DEFAULT_PUBLISHER_OPTIONS.timeout))
    .addOption(new Option('--attempts <n>', 'attempts per put, the first included').argParser(positiveInt).default(DEFAULT_PUBLISHER_OPTIONS.attempts))
    .addOption(new Option('--backoff-initial <ms>', 'first delay between attempts').argParser(positiveInt).default(DEFAULT_PUBLISHER_OPTIONS.backoffInitial))
    .addOption(new Option('--backoff-max <ms>', 'ceiling of the delay between attempts').argParser(positiveInt).default(DEFAULT_PUBLISHER_OPTIONS.backoffMax))
    .addOption(new Option('--window <n>', 'puts in flight at once (1: one at a time, revision 1 PUTs, for a proxy older than KHP/1 revision 3)').argParser(publisherWindow).default(DEFAULT_PUBLISHER_OPTIONS.window))
    .addOption(curveKeyOption())
    .addOption(serverKeyOption())
    .addOption(new Option('--driver', 'read puts from stdin and report outcomes on stdout (docs/drivers.md)'))
    .action(
      async (
        messages: string[],
        opts: { proxy: string; topic?: string; id?: string; name: string; timeout: number; attempts: number; backoffInitial: number; backoffMax: number; window: number; curveKey?: string; serverKey?: string; driver?: boolean },
      ) => {
        const logger = createLogger(opts.name);
        const security = peerSecurityOrExit(opts);
        const options = { proxy: opts.proxy, id: opts.id ?? opts.name, timeout: opts.timeout, attempts: opts.attempts, backoffInitial: opts.backoffInitial, backoffMax: opts.backoffMax, window: opts.window, security };
        if (opts.driver) {
          const { runPublisherDriver } = await import('../../reference/drivers/publisher-driver');
          await runPublisherDriver(options, logger);
          process.exit(0);
        }
        if (opts.topic === undefined) program.error('publish: --topic <topic> is required (or use --driver)');
        const topic = opts.topic;
        const { Publisher, PutDefiniteFailure } = await import('../../reference/pubsub/publisher');
        const publisher = new Publisher({ ...options, id: opts.id, logger });
        let status = 0;
        const publish = async (message: string): Promise<boolean> => {
          try {
            const result = await publisher.put(topic, message);
            process.stdout.write(`${JSON.stringify({ topic: result.topic, seq: result.seq, msg: result.msg })}\n`);
            return true;
          } catch (error) {
            process.stderr.write(`keelhaul publish: ${(error as Error).message}\n`);
            status = error instanceof PutDefiniteFailure ? PUBLISH_EXIT.definite : PUBLISH_EXIT.indefinite;
            return false;
          }
        };
        if (messages.length > 0) {
          for (const message of messages) if (!(await publish(message))) break;
        } else {
          for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) if (!(await publish(line))) break;
        }
        await publisher.close();
        process.exit(status);
      },
    );

  program
    .command('subscribe')
    .description('subscribe as a durable subscriber and print each message as a JSON line; with --driver, also take subscribe/unsubscribe commands from stdin')
    .addOption(new Option('--proxy <endpoint>', 'proxy to connect to').argParser(endpoint).default(DEFAULT_PUBSUB_ENDPOINT))
    .addOption(new Option('--id <id>', 'durable subscriber id, the same across restarts').argParser(khpName('subscriber id')).makeOptionMandatory())
    .addOption(new Option('--topic <topic>', 'topic to subscribe to (repeatable)').argParser(topicList))
    .addOption(new Option('--positions <file>', 'keep processed positions durably in this file: exactly-once across restarts of this subscriber'))
    .addOption(new Option('--count <n>', 'exit after this many messages (without --driver)').argParser(positiveInt))
    .addOption(new Option('--name <name>', 'node name used in logs (default: the subscriber id)'))
    .addOption(heartbeatOption(DEFAULT_PROXY_OPTIONS.heartbeatInterval))
    .addOption(livenessOption(DEFAULT_PROXY_OPTIONS.heartbeatLiveness))
    .addOption(new Option('--reconnect-initial <ms>', 'first reconnect delay').argParser(positiveInt).default(DEFAULT_SUBSCRIBER_OPTIONS.reconnectInitial))
    .addOption(new Option('--reconnect-max <ms>', 'reconnect delay ceiling').argParser(positiveInt).default(DEFAULT_SUBSCRIBER_OPTIONS.reconnectMax))
    .addOption(new Option('--batch <n>', 'most messages the proxy may put in one DELIVER (KHP/1 revision 4; 1: one per DELIVER, as revision 3)').argParser(subscriberBatch).default(DEFAULT_SUBSCRIBER_OPTIONS.batch))
    .addOption(curveKeyOption())
    .addOption(serverKeyOption())
    .addOption(new Option('--driver', 'take subscribe/unsubscribe commands from stdin and report deliveries on stdout (docs/drivers.md)'))
    .addOption(exitWithStdinOption())
    .addOption(new Option('--seed-defect <names>', 'start with these defects (reference/defects.ts), to test that the suite catches them').argParser(cliParser(parseSubscriberDefects)).hideHelp())
    .action(
      async (opts: {
        proxy: string;
        id: string;
        seedDefect?: SubscriberDefect[];
        topic?: string[];
        positions?: string;
        count?: number;
        name?: string;
        heartbeat: number;
        liveness: number;
        reconnectInitial: number;
        reconnectMax: number;
        batch: number;
        curveKey?: string;
        serverKey?: string;
        driver?: boolean;
        exitWithStdin?: boolean;
      }) => {
        const logger = createLogger(opts.name ?? opts.id);
        const options = {
          security: peerSecurityOrExit(opts),
          proxy: opts.proxy,
          id: opts.id,
          positions: opts.positions,
          heartbeatInterval: opts.heartbeat,
          heartbeatLiveness: opts.liveness,
          reconnectInitial: opts.reconnectInitial,
          reconnectMax: opts.reconnectMax,
          batch: opts.batch,
          defects: opts.seedDefect,
        };
        if (opts.driver) {
          // The driver exits when stdin closes, with or without --exit-with-stdin.
          const { runSubscriberDriver } = await import('../../reference/drivers/subscriber-driver');
          await runSubscriberDriver({ ...options, topics: opts.topic }, logger);
          process.exit(0);
        }
        if (opts.topic === undefined || opts.topic.length === 0) logger.info('no --topic given: receiving the durable subscriptions of this id only');
        const { Subscriber } = await import('../../reference/pubsub/subscriber');
        const subscriber = await Subscriber.open({ ...options, logger });
        onShutdown(() => subscriber.close(), Boolean(opts.exitWithStdin));
        let received = 0;
        let status = 0;
        try {
          for (const topic of opts.topic ?? []) await subscriber.subscribe(topic);
          for await (const delivery of subscriber) {
            process.stdout.write(`${JSON.stringify({ topic: delivery.topic, seq: delivery.seq, publisher: delivery.publisher, msg: delivery.msg, payload: delivery.payload.toString() })}\n`);
            if (opts.count !== undefined && ++received >= opts.count) break;
          }
        } catch (error) {
          process.stderr.write(`keelhaul subscribe: ${(error as Error).message}\n`);
          status = 1;
        }
        await subscriber.close();
        process.exit(status);
      },
    );
}

/** `--window`: 1 to MAX_PUBLISHER_WINDOW puts in flight. */
function subscriberBatch(value: string): number {
  const batch = positiveInt(value);
  if (batch > MAX_BATCH_MESSAGES) throw new InvalidArgumentError(`expected at most ${MAX_BATCH_MESSAGES} messages per DELIVER, got "${value}"`);
  return batch;
}

function publisherWindow(value: string): number {
  const window = positiveInt(value);
  if (window > MAX_PUBLISHER_WINDOW) throw new InvalidArgumentError(`expected at most ${MAX_PUBLISHER_WINDOW} puts in flight, got "${value}"`);
  return window;
}
