import { holdsWithin } from '../util/wait-for';
import { ClauseBroken } from './clause-broken';
import type { HeardCommand, StandInProxy } from './stand-in-proxy';

/** The subscriber under test, as a script sees it: its driver's commands and what its `get()` handed out. */
export interface SubscriberUnderTest {
  readonly name: string;
  /** Writes a driver command and resolves once the driver reports it done (rejects after its bound). */
  subscribe(topic: string): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  /** The messages the driver reported delivered so far (get()'s hand-outs), in order. */
  delivered(): readonly { topic: string; msg: string }[];
  /** The `error` reports of its driver since the script began: a failed call (with its topic) or session. */
  errors(): readonly { topic?: string; error: string }[];
}

export interface ScriptTiming {
  heartbeatMs: number;
  /** heartbeat × liveness. */
  livenessMs: number;
}

const PUBLISHER = 'stand-in-publisher';

function isCommand(command: string, ...args: string[]): (heard: HeardCommand) => boolean {
  return (heard) => heard.command === command && args.every((arg, i) => heard.args[i] === arg);
}


/** Waits for the subscriber's HELLO: every script starts from a connected subscriber. */
async function helloFrom(proxy: StandInProxy, subscriber: SubscriberUnderTest, timing: ScriptTiming, since = 0): Promise<HeardCommand> {
  return proxy.expect(isCommand('HELLO', subscriber.name), { since, timeoutMs: 2 * timing.livenessMs, what: `HELLO ${subscriber.name}` }).catch((error: Error) => {
    throw new ClauseBroken('khp1:hello-with-positions', error.message);
  });
}

/** DELIVER with a message id the script names, so its reports can be told apart. */
function deliver(proxy: StandInProxy, topic: string, sequence: number, msg: string): Promise<void> {
  return proxy.send('DELIVER', topic, sequence, PUBLISHER, msg, `payload of ${msg}`);
}

/**
 * Subscriber rule 2: SUBSCRIBE goes out only after WELCOME, and one still unanswered is sent again
 * after each WELCOME. The stand-in holds back WELCOME while `subscribe` is asked, answers neither the
 * first SUBSCRIBE nor the second, says RESET in between (the subscriber must say HELLO again) and
 * welcomes again: the SUBSCRIBE must follow that WELCOME at once, well before a request timeout.
 */
export async function subscribeOnlyAfterWelcome(proxy: StandInProxy, subscriber: SubscriberUnderTest, timing: ScriptTiming): Promise<void> {
  await helloFrom(proxy, subscriber, timing);
  const asked = subscriber.subscribe('news');
  asked.catch(() => undefined);
  // Several heartbeats without WELCOME: a subscriber that sends commands at once has sent it by now.
  await new Promise((resolve) => setTimeout(resolve, 4 * timing.heartbeatMs));
  const early = proxy.heard('SUBSCRIBE');
  if (early.length > 0) throw new ClauseBroken('khp1:subscribe-after-welcome', `SUBSCRIBE ${early[0]?.args.join(' ')} went out before any WELCOME (heard: ${proxy.describe()})`);
  const firstWelcome = proxy.mark;
  await proxy.send('WELCOME');
  await proxy.expect(isCommand('SUBSCRIBE', 'news'), { since: firstWelcome, timeoutMs: 2 * timing.livenessMs, what: 'SUBSCRIBE news after WELCOME' }).catch((error: Error) => {
    throw new ClauseBroken('khp1:subscribe-after-welcome', error.message);
  });
  const reset = proxy.mark;
  await proxy.send('RESET');
  await helloFrom(proxy, subscriber, timing, reset);
  const secondWelcome = proxy.mark;
  await proxy.send('WELCOME');
  // Sent again because of the WELCOME, not because a request timeout (reference: 1 s) ran out.
  const boundMs = 4 * timing.heartbeatMs;
  await proxy.expect(isCommand('SUBSCRIBE', 'news'), { since: secondWelcome, timeoutMs: boundMs, what: `SUBSCRIBE news again within ${boundMs} ms of the second WELCOME (an unanswered SUBSCRIBE is sent again after each WELCOME)` }).catch((error: Error) => {
    throw new ClauseBroken('khp1:subscribe-after-welcome', error.message);
  });
  await proxy.send('SUBSCRIBED', 'news', 0);
  await asked.catch((error: Error) => {
    throw new ClauseBroken('khp1:subscribe-after-welcome', `SUBSCRIBED news was sent, but the driver never reported the subscription: ${error.message}`);
  });
}

/**
 * Subscriber rules 3 and 4: WELCOME's subscriptions and positions are adopted; a DELIVER at or below
 * the received position (duplicate), one beyond the next (gap) and one of a topic not subscribed are
 * dropped. The subscriber never asked for "news": WELCOME says it is subscribed at position 5.
 */
export async function adoptWelcomeAndDropDuplicatesAndGaps(proxy: StandInProxy, subscriber: SubscriberUnderTest, timing: ScriptTiming): Promise<void> {
  await helloFrom(proxy, subscriber, timing);
  await proxy.send('WELCOME', 'news', 5);
  await deliver(proxy, 'news', 6, 'news-6');
  const handed = (msg: string) => subscriber.delivered().some((delivery) => delivery.msg === msg);
  if (!(await holdsWithin(() => handed('news-6'), 2 * timing.livenessMs))) {
    throw new ClauseBroken(
      'khp1:adopt-welcome',
      `WELCOME listed "news" at position 5 and DELIVER news 6 followed, but ${subscriber.name} never handed it out within ${2 * timing.livenessMs} ms: it did not take WELCOME's subscription and position as its own (heard: ${proxy.describe()})`,
    );
  }
  await deliver(proxy, 'news', 5, 'news-5-at-position');
  await deliver(proxy, 'news', 6, 'news-6-again');
  await deliver(proxy, 'news', 8, 'news-8-beyond-a-gap');
  await deliver(proxy, 'sports', 1, 'sports-1-not-subscribed');
  await deliver(proxy, 'news', 7, 'news-7');
  const gotNext = await holdsWithin(() => handed('news-7'), 2 * timing.livenessMs);
  // Anything queued behind news 7 would have been handed out by now.
  await new Promise((resolve) => setTimeout(resolve, 2 * timing.heartbeatMs));
  const got = subscriber.delivered().map((delivery) => delivery.msg);
  const wrong: [string, string, string][] = [
    ['news-5-at-position', 'khp1:drop-duplicates-and-gaps', 'DELIVER news 5, at the position WELCOME gave (a duplicate)'],
    ['news-6-again', 'khp1:drop-duplicates-and-gaps', 'a second DELIVER news 6 (a duplicate)'],
    ['news-8-beyond-a-gap', 'khp1:drop-duplicates-and-gaps', 'DELIVER news 8 while 7 was still missing (a gap)'],
    ['sports-1-not-subscribed', 'khp1:adopt-welcome', 'DELIVER sports 1, a topic it is not subscribed to'],
  ];
  const broken = wrong.filter(([msg]) => got.includes(msg));
  const [first] = broken;
  if (first) throw new ClauseBroken(first[1], `${subscriber.name} handed out ${broken.map(([, , what]) => what).join('; ')}: it must drop it (handed out: ${got.join(', ')})`);
  if (!gotNext) throw new ClauseBroken('khp1:drop-duplicates-and-gaps', `DELIVER news 7, the next in order after 6, was never handed out within ${2 * timing.livenessMs} ms (heard: ${proxy.describe()})`);
  const acks = proxy.heard('ACK').filter((ack) => ack.args[0] === 'news');
  const beyond = acks.find((ack) => Number(ack.args[1]) > 7);
  if (beyond) throw new ClauseBroken('khp1:drop-duplicates-and-gaps', `${subscriber.name} acknowledged news ${beyond.args[1]}, beyond 7, the last it handed out`);
}

/**
 * Subscriber rule 6: once unsubscribe(topic) is called, get() returns nothing of that topic. The
 * stand-in sends DELIVERs of the topic after the UNSUBSCRIBE arrived and before it answers it, as a
 * proxy with them in flight would: none may be handed out, nor acknowledged.
 */
export async function unsubscribeDiscards(proxy: StandInProxy, subscriber: SubscriberUnderTest, timing: ScriptTiming): Promise<void> {
  await helloFrom(proxy, subscriber, timing);
  await proxy.send('WELCOME', 'news', 0);
  await deliver(proxy, 'news', 1, 'news-1');
  if (!(await holdsWithin(() => subscriber.delivered().some((delivery) => delivery.msg === 'news-1'), 2 * timing.livenessMs))) {
    throw new ClauseBroken('khp1:adopt-welcome', `WELCOME listed "news" at position 0 and DELIVER news 1 followed, but ${subscriber.name} never handed it out (heard: ${proxy.describe()})`);
  }
  const before = proxy.mark;
  const asked = subscriber.unsubscribe('news');
  asked.catch(() => undefined);
  await proxy.expect(isCommand('UNSUBSCRIBE', 'news'), { since: before, timeoutMs: 2 * timing.livenessMs, what: 'UNSUBSCRIBE news' }).catch((error: Error) => {
    throw new ClauseBroken('khp1:subscribe-after-welcome', error.message);
  });
  const afterUnsubscribe = proxy.mark;
  await deliver(proxy, 'news', 2, 'news-2-after-unsubscribe');
  await deliver(proxy, 'news', 3, 'news-3-after-unsubscribe');
  await new Promise((resolve) => setTimeout(resolve, 2 * timing.heartbeatMs));
  await proxy.send('UNSUBSCRIBED', 'news');
  await asked.catch((error: Error) => {
    throw new ClauseBroken('khp1:subscriptions', `UNSUBSCRIBED news was sent, but the driver never reported it: ${error.message}`);
  });
  await new Promise((resolve) => setTimeout(resolve, 2 * timing.heartbeatMs));
  const late = subscriber.delivered().filter((delivery) => delivery.msg.endsWith('-after-unsubscribe'));
  if (late.length > 0) throw new ClauseBroken('khp1:unsubscribe-discards', `${subscriber.name} handed out ${late.map((d) => d.msg).join(', ')} after unsubscribe("news") was called: get() must return nothing of that topic`);
  const acked = proxy.heard('ACK').filter((ack) => ack.index >= afterUnsubscribe && ack.args[0] === 'news' && Number(ack.args[1]) >= 2);
  if (acked.length > 0) throw new ClauseBroken('khp1:unsubscribe-discards', `${subscriber.name} acknowledged news ${acked[0]?.args[1]} after unsubscribe("news"): what it discards is left unacknowledged`);
}

/**
 * Subscriber rule 8: FORBIDDEN is a definite failure. Naming a topic it answers that SUBSCRIBE: the
 * call fails (the driver reports an error for it), and nothing else changes (the session goes on).
 * Naming the subscriber's own id it answers HELLO: the session has failed for good; the subscriber
 * stops saying HELLO (a subscriber that took it for a lost WELCOME would go on every heartbeat) and
 * its driver reports an error.
 */
export async function forbiddenIsDefinite(proxy: StandInProxy, subscriber: SubscriberUnderTest, timing: ScriptTiming): Promise<void> {
  await helloFrom(proxy, subscriber, timing);
  await proxy.send('WELCOME', 'news', 0);
  const before = proxy.mark;
  subscriber.subscribe('secret').catch(() => undefined);
  await proxy.expect(isCommand('SUBSCRIBE', 'secret'), { since: before, timeoutMs: 2 * timing.livenessMs, what: 'SUBSCRIBE secret' }).catch((error: Error) => {
    throw new ClauseBroken('khp1:subscribe-after-welcome', error.message);
  });
  const refused = proxy.mark;
  await proxy.send('FORBIDDEN', 'secret');
  if (!(await holdsWithin(() => subscriber.errors().some((report) => report.topic === 'secret'), 2 * timing.livenessMs))) {
    throw new ClauseBroken('khp1:forbidden-definite', `FORBIDDEN secret answered SUBSCRIBE secret, but the driver reported no error for it within ${2 * timing.livenessMs} ms: the call fails at once (heard: ${proxy.describe(refused)})`);
  }
  await deliver(proxy, 'news', 1, 'news-1-after-forbidden-topic');
  if (!(await holdsWithin(() => subscriber.delivered().some((delivery) => delivery.msg === 'news-1-after-forbidden-topic'), 2 * timing.livenessMs))) {
    throw new ClauseBroken('khp1:forbidden-definite', `after FORBIDDEN secret, DELIVER news 1 was never handed out: FORBIDDEN naming a topic fails that call only, the session goes on`);
  }
  const again = proxy.heard('SUBSCRIBE').filter((heard) => heard.index > refused && heard.args[0] === 'secret');
  if (again.length > 0) throw new ClauseBroken('khp1:forbidden-definite', `after FORBIDDEN secret the subscriber sent SUBSCRIBE secret again: the call has failed for good`);
  const reset = proxy.mark;
  await proxy.send('RESET');
  await helloFrom(proxy, subscriber, timing, reset);
  const forbidden = proxy.mark;
  await proxy.send('FORBIDDEN', subscriber.name);
  // Several heartbeats: a subscriber still waiting for WELCOME says HELLO once per heartbeat.
  await new Promise((resolve) => setTimeout(resolve, 4 * timing.heartbeatMs));
  const hellos = proxy.heard('HELLO').filter((heard) => heard.index > forbidden);
  if (hellos.length > 0) throw new ClauseBroken('khp1:forbidden-definite', `after FORBIDDEN ${subscriber.name} answered its HELLO, it said HELLO ${hellos.length} more time(s): FORBIDDEN naming the subscriber id ends the session for good`);
  if (!subscriber.errors().some((report) => report.topic === undefined)) {
    throw new ClauseBroken('khp1:forbidden-definite', `after FORBIDDEN ${subscriber.name} answered its HELLO, the driver reported no error: the session has failed, and it must say so`);
  }
}

/** The scripts, by the name a feature gives them. */
export const SUBSCRIBER_SCRIPTS = {
  'subscribe only after WELCOME': subscribeOnlyAfterWelcome,
  "adopt WELCOME, drop duplicates and gaps": adoptWelcomeAndDropDuplicatesAndGaps,
  'unsubscribe discards': unsubscribeDiscards,
  'FORBIDDEN is definite': forbiddenIsDefinite,
} as const;

export type SubscriberScript = keyof typeof SUBSCRIBER_SCRIPTS;

export function parseSubscriberScript(text: string): SubscriberScript {
  const known = Object.keys(SUBSCRIBER_SCRIPTS) as SubscriberScript[];
  const found = known.find((name) => name === text);
  if (found === undefined) throw new Error(`unknown stand-in proxy script "${text}"; known: ${known.join('; ')}`);
  return found;
}
