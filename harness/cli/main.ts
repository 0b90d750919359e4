import { Command, InvalidArgumentError, Option, type CommanderError } from 'commander';
import { RUN_EXIT } from '../report/run-exit';
import { report } from '../../reference/drivers/protocol';
import { parseRetries, RETRIES_ENV, DEFAULT_RETRIES } from '../run/run-config';
import { parseRepeat } from './repeat-option';
import { parseTimeScale, TIME_SCALE_ENV } from '../util/time-scale';
import { DEFAULT_BROKER_LIMITS, DEFAULT_BROKER_OPTIONS, DEFAULT_CLIENT_OPTIONS, DEFAULT_WORKER_OPTIONS } from '../../reference/node-defaults';
import { createLogger } from '../../reference/util/log';
import { parseBrokerDefects, parseClientDefects, parseWorkerDefects, type BrokerDefect, type ClientDefect, type WorkerDefect } from '../../reference/defects';
import { parseServiceClasses, serviceClassOf, type ServiceClasses } from '../../reference/classes/service-classes';
import { parseRetryPolicy } from '../../reference/classes/retry-policy';
import { NORMAL_MODE, parseWorkerMode, type WorkerMode } from '../../reference/control/worker-mode';
import { parseProcessingTimeout, type ProcessingTimeouts } from '../../reference/broker/processing-timeout';
import { normaliseToxiproxyArgv, parsePortOption, parseSeedOption } from '../toxiproxy/cli-options';
import { TOXIPROXY_VERSION } from '../toxiproxy/version';
import { packageVersion } from '../run/package-root';
import { registerPubSubCommands } from './pubsub-commands';
import { registerControlCommands } from './control-commands';
import { exitOnDamagedJournal, repairOption, runRepair, serveJournaled, unsafeNoSyncOption } from './journal-repair';
import { registerCoverageCommand } from './coverage';
import { registerMergeReportsCommand } from './merge-reports';
import { registerShrinkCommand } from './shrink-command';
import { parallelOption, shardOption } from './run-split';
import type { Shard } from '../run/shard';
import { registerKeysCommand } from './keys';
import { registerClusterCommands, startClusterNodeOrExit, endpointList, brokerRouteOption, khrModeOption, khrWanted } from './cluster-commands';
import type { BrokerRoutes } from '../../reference/cluster/broker-routes';
import {
  cliParser,
  curveKeyOption,
  endpoint,
  regexOption,
  exitWithStdinOption,
  heartbeatOption,
  livenessOption,
  nonNegativeInt,
  onShutdown,
  policyOption,
  positiveInt,
  peerSecurityOrExit,
  serverSecurityOrExit,
  serverKeyOption,
} from './node-options';

/** `--time-scale <x|auto>`, checked here so a typo is an error before anything starts. */
function timeScaleOption(): Option {
  return new Option('--time-scale <x>', `multiply every interval and bound of the harness by x (0.5-20), or "auto" to measure the machine first (default ${TIME_SCALE_ENV} or auto)`).argParser((value) => {
    parseTimeScale(value);
    return value;
  });
}

function retriesOption(): Option {
  return new Option('--retries <n>', `how often a scenario that came out INCONCLUSIVE is tried again (default ${RETRIES_ENV} or ${DEFAULT_RETRIES}); a FAIL is never retried`).argParser(parseRetries);
}

function repeatOption(): Option {
  return new Option('--repeat <n>', 'run the selected scenarios n times, each with its own seed and folder (rep-1 ...), and report every scenario\'s pass rate and the seeds of its failures (1, the default, is a plain run)').argParser(parseRepeat);
}

/** `--service-class <spec>`, repeatable (values join; a service declared twice is an error). */
function serviceClassOption(): Option {
  return new Option('--service-class <spec>', 'declared classes of service: <service>=retry | <service>=give-up:<F ms> | <service>=best-effort, comma-separated, repeatable; off = none (every service retry)').argParser(
    cliParser<ServiceClasses>(parseServiceClasses),
  );
}

/** The profiles, for verify's and check's --help: the checkers are many modules, loaded only when the help is shown. */
function profilesHelp(): string {
  const { PROFILES } = require('../checker/profile') as typeof import('../checker/profile');
  return `\nProfiles: ${PROFILES.join(', ')}`;
}

/** A usage mistake (a bad option value) is bad input like any other: exit 2, the run that could not be made, not commander's 1; --help stays 0. */
function usageExit(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : RUN_EXIT.unusable);
}

const program = new Command()
  .name('keelhaul')
  .description('Conformance suite, fault-injection harness and reference implementation for reliable messaging over ZeroMQ')
  .version(packageVersion(), '-V, --version', "print keelhaul's version (from its package.json) and exit")
  // Options of keelhaul itself (--version) only before the command: `keelhaul toxiproxy --version` is toxiproxy-server's.
  .enablePositionalOptions()
  .showHelpAfterError("(add --help for the command's options)");

program
  .command('broker')
  .description('run the reference 7/MDP broker (with 8/MMI and the KHX/1 exactly-once extension)')
  .addOption(new Option('--endpoint <endpoint>', 'address to bind').argParser(endpoint).default('tcp://127.0.0.1:5555'))
  .addOption(new Option('--name <name>', 'node name used in logs').default('broker'))
  .addOption(heartbeatOption(DEFAULT_BROKER_OPTIONS.heartbeatInterval))
  .addOption(livenessOption(DEFAULT_BROKER_OPTIONS.heartbeatLiveness))
  .addOption(new Option('--request-expiry <ms>', 'how long a request waits for a worker before it is dropped').argParser(positiveInt).default(DEFAULT_BROKER_OPTIONS.requestExpiry))
  .addOption(new Option('--journal <file>', 'KHX/1 job journal: jobs and results survive a crash (without it they live in memory only)'))
  .addOption(new Option('--retention-ms <ms>', 'how long a completed KHX/1 job is remembered to answer retries').argParser(positiveInt).default(DEFAULT_BROKER_OPTIONS.retentionMs))
  .addOption(new Option('--retention-count <n>', 'at most this many completed KHX/1 jobs are remembered').argParser(positiveInt).default(DEFAULT_BROKER_OPTIONS.retentionCount))
  .addOption(new Option('--seed-defect <names>', 'start with these defects (reference/defects.ts), to test that the suite catches them').argParser(cliParser(parseBrokerDefects)).hideHelp())
  .addOption(new Option('--result-grace <ms>', 'how long the job of a silent KHX/1 worker waits for its result before another worker runs it (default: two liveness periods)').argParser(nonNegativeInt))
  .addOption(
    new Option('--processing-timeout <ms|service=ms>', 'how long one worker may hold one job before the broker takes it back (a KHC/1 worker is told to kill it first); <ms> for every service, <service>=<ms> for one; repeatable (default: off)').argParser(
      cliParser<ProcessingTimeouts>(parseProcessingTimeout),
    ),
  )
  .addOption(serviceClassOption())
  .addOption(new Option('--max-message-size <bytes>', 'largest message a peer may send; a peer that sends more is disconnected (ZMQ_MAXMSGSIZE)').argParser(positiveInt).default(DEFAULT_BROKER_LIMITS.maxMessageSize))
  .addOption(new Option('--max-frames <n>', 'most frames in one message; more is malformed').argParser(positiveInt).default(DEFAULT_BROKER_LIMITS.maxFrames))
  .addOption(new Option('--max-service-name <bytes>', 'longest service name; longer is malformed').argParser(positiveInt).default(DEFAULT_BROKER_LIMITS.maxServiceNameBytes))
  .addOption(new Option('--max-services <n>', 'most services known at once; a new one past it is refused (KHX/1: 503)').argParser(positiveInt).default(DEFAULT_BROKER_LIMITS.maxServices))
  .addOption(new Option('--max-requests-per-peer <n>', "most requests one client socket may have in the broker's hands (KHX/1: 429 past it)").argParser(positiveInt).default(DEFAULT_BROKER_LIMITS.maxRequestsPerPeer))
  .addOption(new Option('--job-deadline <ms>', 'a job that may have run and has no result this long after it was accepted is given up (KHX/1: 504)').argParser(positiveInt).default(DEFAULT_BROKER_LIMITS.jobDeadline))
  .addOption(repairOption())
  .addOption(unsafeNoSyncOption())
  .addOption(curveKeyOption())
  .addOption(policyOption())
  .addOption(new Option('--node-id <id>', "cluster mode: this broker's id (letters, digits, -, _; 1-32 chars)"))
  .addOption(new Option('--cluster <members>', 'cluster mode (KHR/1): the initial voters, <id>=<client endpoint>+<replication endpoint>, comma-separated; must include --node-id'))
  .addOption(new Option('--data-dir <dir>', 'cluster mode: where the replicated log, hard state and snapshots live (required with --cluster)'))
  .addOption(new Option('--election-timeout <ms>', 'cluster mode: the shortest election timeout (each drawn from [ms, 2 ms))').argParser(positiveInt).default(1000))
  .addOption(new Option('--raft-heartbeat <ms>', 'cluster mode: interval of the leader\'s heartbeats to its peers').argParser(positiveInt).default(100))
  .addOption(
    new Option('--join [joining]', 'cluster mode: start empty, not a voter, and wait to be added (keelhaul cluster add); --join=false (a manifest\'s {{join}}) boots with --cluster as the voters, as without it').argParser((value: string) => {
      if (value === 'true' || value === 'false') return value === 'true';
      throw new InvalidArgumentError(`--join takes true or false, got "${value}"`);
    }),
  )
  .addOption(new Option('--replication-endpoint <endpoint>', 'cluster mode, with --join when --cluster does not list this node: where peers reach it').argParser(endpoint))
  .addOption(exitWithStdinOption())
  .action(
    async (opts: {
      nodeId?: string;
      cluster?: string;
      dataDir?: string;
      electionTimeout: number;
      raftHeartbeat: number;
      join?: boolean;
      replicationEndpoint?: string;
      unsafeNoSync?: boolean;
      curveKey?: string;
      policy?: string;
      maxMessageSize: number;
      maxFrames: number;
      maxServiceName: number;
      maxServices: number;
      maxRequestsPerPeer: number;
      jobDeadline: number;
      endpoint: string;
      name: string;
      heartbeat: number;
      liveness: number;
      requestExpiry: number;
      journal?: string;
      retentionMs: number;
      retentionCount: number;
      resultGrace?: number;
      processingTimeout?: ProcessingTimeouts;
      serviceClass?: ServiceClasses;
      seedDefect?: BrokerDefect[];
      repair?: boolean;
      exitWithStdin?: boolean;
    }, command: Command) => {
      if (opts.repair) process.exit(await runRepair('broker', opts.journal));
      const security = serverSecurityOrExit(opts);
      const logger = createLogger(opts.name);
      const fsync = !(opts.unsafeNoSync || opts.seedDefect?.includes('no-fsync'));
      const storeOptions = { retentionMs: opts.retentionMs, retentionCount: opts.retentionCount, logger, fsync };
      const cluster = await startClusterNodeOrExit(opts, command.getOptionValueSource('endpoint') === 'cli', storeOptions, logger, security);
      const { Broker } = await import('../../reference/broker');
      const broker = await Broker.start({
        cluster,
        endpoint: cluster?.status().members.find((member) => member.id === cluster.id)?.client ?? opts.endpoint,
        heartbeatInterval: opts.heartbeat,
        heartbeatLiveness: opts.liveness,
        requestExpiry: opts.requestExpiry,
        journal: opts.journal,
        fsync,
        retentionMs: opts.retentionMs,
        retentionCount: opts.retentionCount,
        resultGrace: opts.resultGrace,
        processingTimeouts: opts.processingTimeout,
        serviceClasses: opts.serviceClass,
        defects: opts.seedDefect,
        limits: {
          maxMessageSize: opts.maxMessageSize,
          maxFrames: opts.maxFrames,
          maxServiceNameBytes: opts.maxServiceName,
          maxServices: opts.maxServices,
          maxRequestsPerPeer: opts.maxRequestsPerPeer,
          jobDeadline: opts.jobDeadline,
        },
        security,
        logger,
        onOrphan: (orphan) => report({ type: 'orphan', ...orphan }),
      }).catch(exitOnDamagedJournal);
      serveJournaled(broker, 'broker', opts.journal, Boolean(opts.exitWithStdin));
    },
  );

program
  .command('worker')
  .description("run a reference 7/MDP echo worker; reports exec-start/exec-end/exec-killed on stdout, and its instance id (for keelhaul drain/stop-worker) in its 'ready' report (docs/drivers.md)")
  .addOption(new Option('--broker <endpoints>', 'broker to connect to; several, comma-separated, for a cluster (KHR/1 failover)').argParser(endpointList).default('tcp://127.0.0.1:5555'))
  .addOption(new Option('--service <name>', 'service to register').default('echo'))
  .addOption(brokerRouteOption())
  .addOption(khrModeOption())
  .addOption(new Option('--name <name>', 'node name used in reports and logs').default('worker'))
  .addOption(new Option('--seed-defect <names>', 'start with these defects (reference/defects.ts), to test that the suite catches them').argParser(cliParser(parseWorkerDefects)).hideHelp())
  .addOption(new Option('--work-ms <ms>', 'simulated work per job').argParser(nonNegativeInt).default(0))
  .addOption(
    new Option('--mode <mode>', 'chaos mode: normal; busy (stuck on its first job, heartbeating, until a KHC/1 kill stops it); slow or slow=<n> (every job takes n times its work, n = 10 by default)')
      .argParser(cliParser(parseWorkerMode))
      .default(NORMAL_MODE, 'normal'),
  )
  .addOption(heartbeatOption(DEFAULT_BROKER_OPTIONS.heartbeatInterval))
  .addOption(livenessOption(DEFAULT_BROKER_OPTIONS.heartbeatLiveness))
  .addOption(new Option('--reconnect-initial <ms>', 'first reconnect delay').argParser(positiveInt).default(DEFAULT_WORKER_OPTIONS.reconnectInitial))
  .addOption(new Option('--reconnect-max <ms>', 'reconnect delay ceiling').argParser(positiveInt).default(DEFAULT_WORKER_OPTIONS.reconnectMax))
  .addOption(new Option('--no-khx', 'plain 7/MDP: do not declare KHX/1 in READY (for strict brokers that refuse the extra frame)'))
  .addOption(new Option('--no-khc', 'do not declare KHC/1 (control: kills, drain, stop) in READY after KHX/1'))
  .addOption(curveKeyOption())
  .addOption(serverKeyOption())
  .addOption(exitWithStdinOption())
  .action(
    async (opts: {
      broker: string;
      brokerRoute?: BrokerRoutes;
      khr: string;
      service: string;
      name: string;
      workMs: number;
      mode: WorkerMode;
      heartbeat: number;
      liveness: number;
      reconnectInitial: number;
      reconnectMax: number;
      khx: boolean;
      khc: boolean;
      curveKey?: string;
      serverKey?: string;
      exitWithStdin?: boolean;
      seedDefect?: WorkerDefect[];
    }) => {
      const security = peerSecurityOrExit(opts);
      const { startEchoWorker } = await import('../../reference/drivers/worker-driver');
      const worker = startEchoWorker({
        defects: opts.seedDefect,
        security,
        broker: opts.broker,
        routes: opts.brokerRoute,
        khr: khrWanted(opts.khr),
        service: opts.service,
        name: opts.name,
        workMs: opts.workMs,
        mode: opts.mode,
        heartbeatInterval: opts.heartbeat,
        heartbeatLiveness: opts.liveness,
        reconnectInitial: opts.reconnectInitial,
        reconnectMax: opts.reconnectMax,
        khx: opts.khx,
        khc: opts.khc,
        logger: createLogger(opts.name),
        // CONTROL STOP from the broker (keelhaul stop-worker): drained and disconnected, so exit cleanly.
        onStopped: () => process.exit(0),
      });
      onShutdown(() => worker.stop(), Boolean(opts.exitWithStdin));
    },
  );

program
  .command('client')
  .description('send one request (the message frames) and print the reply; with --driver, run calls read from stdin as JSON lines')
  .argument('[frames...]', 'request body frames')
  .addOption(new Option('--broker <endpoints>', 'broker to connect to; several, comma-separated, for a cluster (KHR/1 failover)').argParser(endpointList).default('tcp://127.0.0.1:5555'))
  .addOption(new Option('--service <name>', 'service to call').default('echo'))
  .addOption(brokerRouteOption())
  .addOption(khrModeOption())
  .addOption(new Option('--name <name>', 'node name used in logs').default('client'))
  .addOption(new Option('--timeout <ms>', 'reply timeout per attempt').argParser(positiveInt).default(DEFAULT_CLIENT_OPTIONS.timeout))
  .addOption(new Option('--attempts <n>', 'attempts per call, the first included').argParser(positiveInt).default(DEFAULT_CLIENT_OPTIONS.attempts))
  .addOption(new Option('--backoff-initial <ms>', 'first delay between attempts').argParser(positiveInt).default(DEFAULT_CLIENT_OPTIONS.backoffInitial))
  .addOption(new Option('--backoff-max <ms>', 'ceiling of the delay between attempts').argParser(positiveInt).default(DEFAULT_CLIENT_OPTIONS.backoffMax))
  .addOption(new Option('--no-check-service', 'do not ask 8/MMI whether the service has workers before sending'))
  .addOption(serviceClassOption())
  .addOption(
    new Option('--retry <policy>', 'retry policy of retry services: attempts=1..10,initial=<ms>,multiplier=<>=1>,cap=<ms>,jitter=full|equal|none,budget=off|<maxTokens>:<ratio>, every key optional (default: --attempts, --backoff-initial, --backoff-max, doubling, equal jitter, no budget)').argParser((value: string) => {
      // Checked now for its own keys and ranges; against --attempts/--backoff-* once all options are read.
      return cliParser((text: string) => {
        parseRetryPolicy(text, { attempts: 1, initial: 1, cap: Number.MAX_SAFE_INTEGER });
        return text;
      })(value);
    }),
  )
  .addOption(new Option('--seed-defect <names>', 'start with these defects (reference/defects.ts), to test that the suite catches them').argParser(cliParser(parseClientDefects)).hideHelp())
  .addOption(new Option('--driver', 'read calls from stdin and report outcomes on stdout (docs/drivers.md)'))
  .addOption(curveKeyOption())
  .addOption(serverKeyOption())
  .action(
    async (
      frames: string[],
      opts: {
        broker: string;
        brokerRoute?: BrokerRoutes;
        khr: string;
        service: string;
        name: string;
        timeout: number;
        attempts: number;
        backoffInitial: number;
        backoffMax: number;
        checkService: boolean;
        serviceClass?: ServiceClasses;
        retry?: string;
        seedDefect?: ClientDefect[];
        driver?: boolean;
        curveKey?: string;
        serverKey?: string;
      },
    ) => {
      const security = peerSecurityOrExit(opts);
      const logger = createLogger(opts.name);
      let retryPolicy;
      try {
        retryPolicy = opts.retry === undefined ? undefined : parseRetryPolicy(opts.retry, { attempts: opts.attempts, initial: opts.backoffInitial, cap: opts.backoffMax });
      } catch (error) {
        program.error(`error: option '--retry <policy>' argument '${opts.retry}' is invalid. ${(error as Error).message}`);
      }
      const options = {
        security,
        serviceClasses: opts.serviceClass,
        retryPolicy,
        defects: opts.seedDefect,
        broker: opts.broker,
        routes: opts.brokerRoute,
        khr: khrWanted(opts.khr),
        timeout: opts.timeout,
        attempts: opts.attempts,
        backoffInitial: opts.backoffInitial,
        backoffMax: opts.backoffMax,
        checkService: opts.checkService,
      };
      if (opts.driver) {
        const { runClientDriver } = await import('../../reference/drivers/client-driver');
        await runClientDriver(options, logger);
        process.exit(0);
      }
      if (frames.length === 0) program.error('client: give at least one frame to send, or --driver');
      if (serviceClassOf(opts.serviceClass, opts.service).kind === 'best-effort') {
        // Fire-and-forget: one non-blocking send, no answer awaited.
        // A one-shot process: let the message leave before the socket closes.
        const { BestEffortSender } = await import('../../reference/best-effort-sender');
        const sender = new BestEffortSender({ broker: opts.broker, security, lingerMs: 500 });
        const outcome = await sender.send(opts.service, frames.map((f) => Buffer.from(f)));
        sender.close();
        process.stderr.write(outcome.sent ? `keelhaul client: best-effort: sent in ${outcome.ms.toFixed(1)} ms, no answer awaited\n` : `keelhaul client: best-effort: dropped (${outcome.reason})\n`);
        process.exit(outcome.sent ? 0 : 1);
      }
      const { MajordomoClient } = await import('../../reference/client');
      const client = new MajordomoClient({ ...options, logger });
      try {
        const reply = await client.request(opts.service, frames.map((f) => Buffer.from(f)));
        for (const frame of reply) process.stdout.write(`${frame.toString()}\n`);
        process.exit(0);
      } catch (error) {
        process.stderr.write(`keelhaul client: ${(error as Error).message}\n`);
        process.exit(1);
      } finally {
        client.close();
      }
    },
  );

program
  .command('features')
  .description('run the conformance features against the reference implementation (npm run features); other arguments go to cucumber-js. Exit: 0 pass, 1 a FAIL or ERROR, 2 the run could not be made, 3 something stayed INCONCLUSIVE, 4 no scenario ran (none matched, --dry-run)')
  .allowUnknownOption()
  .addOption(new Option('--runtime <runtime>', 'where nodes run: process (local processes) or docker (containers; needs docker/ensure-engine.sh)').choices(['process', 'docker']))
  .addOption(timeScaleOption())
  .addOption(retriesOption())
  .addOption(repeatOption())
  .addOption(shardOption())
  .addOption(parallelOption())
  .option('--reports <dir>', 'where the run folder is written', 'reports')
  .argument('[args...]', 'cucumber-js arguments, e.g. --tags @smoke')
  // A bad option value is a run that could not be made: exit 2, not commander's 1.
  .exitOverride(usageExit)
  .action(async (args: string[], opts: { runtime?: string; timeScale?: string; retries?: number; repeat?: number; shard?: Shard; parallel?: number; reports: string }) => {
    const { runFeatures } = await import('./features');
    process.exit(await runFeatures({ args, ...opts }));
  });

program
  .command('stress')
  .description('run the features with the CPU oversubscribed (busy loops beside them), as on a loaded CI machine; other arguments go to keelhaul features (e.g. --repeat 5)')
  .allowUnknownOption()
  .addOption(new Option('--busy <n>', 'busy loops to run (default: twice the cores)').argParser(positiveInt))
  .argument('[args...]', 'keelhaul features arguments')
  .action(async (args: string[], opts: { busy?: number }) => {
    const { runStress } = await import('./stress');
    process.exit(await runStress({ busy: opts.busy, args }));
  });

program
  .command('verify')
  .description('run the conformance features against the implementation a manifest describes (docs/manifest.md); exit 0 when every claimed profile passes, 1 a FAIL or ERROR, 2 the run could not be made, 3 something stayed INCONCLUSIVE, 4 no scenario ran')
  .option('--impl <manifest>', 'the implementation manifest (JSON or YAML)')
  .option('--tags <expression>', 'Cucumber tag expression selecting scenarios, e.g. "@smoke or @rfc8"')
  .addOption(new Option('--name <regex>', 'only scenarios whose name matches this regular expression').argParser(cliParser(regexOption)))
  .option('--profile <profile...>', 'only scenarios of these profiles (listed below)')
  .option('--claimed-only', 'skip the scenarios of profiles the manifest does not claim (no INFO verdicts)')
  .option('--seed <n>', 'replay a run: the seed its fault schedules were drawn from (printed by every run)')
  .option('--reports <dir>', 'where the run folder is written', 'reports')
  .option('--runtime <runtime>', 'where nodes run: process or docker (needed for roles from images); default HARNESS_RUNTIME or process')
  .addOption(timeScaleOption())
  .addOption(retriesOption())
  .addOption(repeatOption())
  .addOption(shardOption())
  .addOption(parallelOption())
  .option('--check', 'only check the manifest and exit')
  .option('--print-schema', "print the manifest's JSON schema and exit")
  .addHelpText('after', profilesHelp)
  .exitOverride(usageExit)
  .action(async (opts: { impl?: string; tags?: string; name?: string; profile?: string[]; claimedOnly?: boolean; seed?: string; reports: string; runtime?: string; timeScale?: string; retries?: number; repeat?: number; shard?: Shard; parallel?: number; check?: boolean; printSchema?: boolean }) => {
    // Loaded here, not at the top: the node commands start often and need none of this.
    const { verify, printSchema, EXIT } = await import('./verify');
    if (opts.printSchema) return printSchema();
    if (!opts.impl) {
      process.stderr.write('keelhaul verify: --impl <manifest> is required (see docs/manifest.md; --print-schema shows the schema)\n');
      process.exit(EXIT.unusable);
    }
    process.exit(await verify({ ...opts, impl: opts.impl }));
  });

program
  .command('check')
  .description('re-judge a stored history (a history.jsonl, or a scenario folder of a run) and print its anomaly report; exit codes as verify (docs/history.md)')
  .argument('[history]', 'a history.jsonl, or the scenario folder under reports/<run>/ that holds one')
  .option('--profile <profile>', "judge against this profile (listed below); default: the one in the scenario's verdict.json, else the strictest of the history's system")
  .option('--system <system>', 'the system the history is of (request-reply, pubsub, secure, control, retry-policy, replicated), when its events do not say')
  .option('--time-scale <x>', "the time scale the run used, for the bounds (default: the run's run-config.json, else 1)")
  .addOption(new Option('--call-bound <ms>', 'the longest a call may take (stuck), instead of the one the timing gives').argParser(positiveInt))
  .addOption(new Option('--recovery-bound <ms>', 'how soon after the last heal the system must progress (stuck), instead of the one the timing gives').argParser(positiveInt))
  .option('--print-schema', "print the history event's JSON schema and exit")
  .addHelpText('after', profilesHelp)
  .exitOverride(usageExit)
  .action(async (history: string | undefined, opts: { profile?: string; system?: string; timeScale?: string; callBound?: number; recoveryBound?: number; printSchema?: boolean }) => {
    const { runCheckCommand } = await import('./check');
    process.exit(runCheckCommand(history, opts));
  });

program
  .command('toxiproxy')
  .description('run the fault proxy: a drop-in for toxiproxy-server (same HTTP API and toxics; docs/fault-proxy.md)')
  .addOption(new Option('--host <host>', 'address for the HTTP API (the real toxiproxy-server defaults to localhost)').default('127.0.0.1'))
  .addOption(new Option('--port <port>', 'port for the HTTP API (0 picks a free one)').argParser(parsePortOption).default(8474))
  .addOption(new Option('--config <file>', 'JSON file of proxies to create on startup, in the /populate format (a bad file is logged and ignored)'))
  .addOption(new Option('--seed <n>', 'seed for the toxicity rolls, latency jitter and slicer cuts (64-bit integer)').argParser(parseSeedOption))
  .addOption(new Option('--proxy-metrics', 'count each proxy\'s bytes and serve them at GET /metrics (Prometheus text)'))
  .addOption(new Option('--runtime-metrics', 'serve the process\'s CPU, memory and start time at GET /metrics'))
  .addHelpText('after', '\ntoxiproxy-server\'s single-dash forms work too: -host, -port, -config, -seed, -version, -proxy-metrics, -runtime-metrics.')
  .version(`toxiproxy-server version ${TOXIPROXY_VERSION}`, '--version', 'print the version (as toxiproxy-server -version does) and exit')
  .action(async (opts: { host: string; port: number; config?: string; seed?: string; proxyMetrics?: boolean; runtimeMetrics?: boolean }) => {
    // Logs are JSON lines on stdout at LOG_LEVEL, as the real server writes them.
    const { FaultProxyServer } = await import('../toxiproxy/server');
    const server = await FaultProxyServer.start({ ...opts });
    process.stdout.write(`keelhaul toxiproxy: API listening on ${server.url}\n`);
    onShutdown(() => server.close(), false);
  });

registerPubSubCommands(program);
registerControlCommands(program);
registerClusterCommands(program);
registerCoverageCommand(program);
registerMergeReportsCommand(program, usageExit);
registerShrinkCommand(program, usageExit);
registerKeysCommand(program);

program.parseAsync(normaliseToxiproxyArgv(process.argv)).catch((error: unknown) => {
  process.stderr.write(`keelhaul: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
