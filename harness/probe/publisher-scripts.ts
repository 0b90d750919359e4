import { holdsWithin } from '../util/wait-for';
import { ClauseBroken } from './clause-broken';
import type { HeardCommand, StandInProxy } from './stand-in-proxy';

/** The publisher under test, as a script sees it: its driver's puts and their reported outcomes. */
export interface PublisherUnderTest {
  readonly name: string;
  /** Writes a put command to the driver, without waiting. */
  put(topic: string, msg: string): void;
  /** The outcome the driver reported for `msg` so far (put-ok, put-fail, put-info), if any. */
  outcome(msg: string): string | undefined;
}

export interface PublisherScriptTiming {
  /** The driver's wait for an answer to one attempt ({{clientTimeout}}). */
  attemptTimeoutMs: number;
  /** Its attempts per put ({{clientAttempts}}). */
  attempts: number;
  /** Its longest backoff between attempts ({{backoffMax}}). */
  backoffMaxMs: number;
  livenessMs: number;
}

/** The PUTs of `msg` heard since `since`. */
function putsOf(proxy: StandInProxy, msg: string, since = 0): HeardCommand[] {
  return proxy.heard('PUT').filter((heard) => heard.index >= since && heard.args[1] === msg);
}


/**
 * Publisher rules 1 and 3 against a stand-in proxy: a PUT left unanswered is sent again with the same
 * (publisher id, message id) on the same socket, and ACCEPTED for it is `put-ok`; REFUSED is a
 * definite `put-fail`, after which that message is never sent again; a put never answered ends
 * `put-info` (indefinite), never `put-fail`.
 */
export async function publisherOutcomes(proxy: StandInProxy, publisher: PublisherUnderTest, timing: PublisherScriptTiming): Promise<void> {
  const attemptMs = timing.attemptTimeoutMs + timing.backoffMaxMs + timing.livenessMs;
  const accepted = `${publisher.name}:stand-in:accepted`;
  publisher.put('news', accepted);
  const first = await proxy.expect((heard) => heard.command === 'PUT' && heard.args[1] === accepted, { timeoutMs: attemptMs, what: `PUT ${accepted}` });
  const retry = await proxy.expect((heard) => heard.command === 'PUT' && heard.args[1] === accepted && heard.index > first.index, { timeoutMs: attemptMs, what: `a second attempt of PUT ${accepted}, left unanswered` }).catch((error: Error) => {
    throw new ClauseBroken('khp1:same-message-id', `${error.message}: a publisher sends its put again until an answer comes or its attempts run out`);
  });
  if (retry.args[0] !== first.args[0] || retry.peer !== first.peer) {
    throw new ClauseBroken('khp1:same-message-id', `the second attempt of ${accepted} came as publisher ${retry.args[0]} on connection ${retry.peer}, the first as ${first.args[0]} on ${first.peer}: every attempt goes with the same publisher id on the same socket`);
  }
  await proxy.send('ACCEPTED', accepted, 'news', 1);
  if (!(await holdsWithin(() => publisher.outcome(accepted) !== undefined, attemptMs)) || publisher.outcome(accepted) !== 'put-ok') {
    throw new ClauseBroken('khp1:publisher-outcomes', `ACCEPTED ${accepted} was answered, but the driver reported ${publisher.outcome(accepted) ?? 'nothing'}, not put-ok`);
  }

  const refused = `${publisher.name}:stand-in:refused`;
  publisher.put('news', refused);
  await proxy.expect((heard) => heard.command === 'PUT' && heard.args[1] === refused, { timeoutMs: attemptMs, what: `PUT ${refused}` });
  const answered = proxy.mark;
  await proxy.send('REFUSED', refused, 'bad-request', 'the stand-in proxy refuses it');
  if (!(await holdsWithin(() => publisher.outcome(refused) !== undefined, attemptMs)) || publisher.outcome(refused) !== 'put-fail') {
    throw new ClauseBroken('khp1:publisher-outcomes', `REFUSED ${refused} was answered, but the driver reported ${publisher.outcome(refused) ?? 'nothing'}, not put-fail: REFUSED is a definite failure`);
  }
  // One attempt's wait: a publisher that took REFUSED for no answer would have sent it again by now.
  await new Promise((resolve) => setTimeout(resolve, attemptMs));
  const again = putsOf(proxy, refused, answered);
  if (again.length > 0) throw new ClauseBroken('khp1:same-message-id', `after REFUSED ${refused} the publisher sent it ${again.length} more time(s): REFUSED ends its attempts`);

  const unanswered = `${publisher.name}:stand-in:unanswered`;
  publisher.put('news', unanswered);
  const boundMs = timing.attempts * attemptMs + timing.livenessMs;
  if (!(await holdsWithin(() => publisher.outcome(unanswered) !== undefined, boundMs))) {
    throw new ClauseBroken('khp1:publisher-outcomes', `${unanswered}, never answered, had no outcome within ${boundMs} ms (${timing.attempts} attempts): running out of attempts is put-info`);
  }
  if (publisher.outcome(unanswered) !== 'put-info') {
    throw new ClauseBroken('khp1:publisher-outcomes', `${unanswered}, never answered (${putsOf(proxy, unanswered).length} attempts heard), was reported ${publisher.outcome(unanswered)}: without an answer the message may have been accepted, so the outcome is put-info, never put-fail`);
  }
}
