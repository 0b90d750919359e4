import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt, seededRandom } from '../../util/random';
import type { StormLoad } from '../storm-load';
import type { RequestReplySystem } from './request-reply-system';

export interface KillStormOptions {
  /** How many open calls to kill, spread over the window. */
  kills: number;
  windowMs: number;
  /** The run's seed: the kill times and which open call each one picks follow from it. */
  seed: string;
  /** How long each kill may wait for its answer. */
  answerBoundMs: number;
}

/**
 * A storm load that also kills: at seeded moments over the window it picks one of the calls open at
 * that moment (seeded, among them in submission order) and has the client that submitted it kill it.
 * Which job a pick lands on depends on what is open then, so a replay repeats the schedule, not
 * necessarily the same jobs. `settle` waits for every kill's answer, bounded, before the load's own.
 */
export function withKills<Outcome>(load: StormLoad<Outcome>, system: RequestReplySystem, options: KillStormOptions): StormLoad<Outcome> {
  const random = seededRandom(`${options.seed}:kills`);
  const offsets = Array.from({ length: options.kills }, () => randomInt(random, Math.max(1, options.windowMs))).sort((a, b) => a - b);
  const answers: Promise<unknown>[] = [];
  let stopped = false;
  const run = async (): Promise<void> => {
    const began = Date.now();
    for (const offset of offsets) {
      await sleep(Math.max(0, offset - (Date.now() - began)));
      if (stopped) return;
      const open = system.openCalls();
      if (open.length === 0) continue;
      const job = open[randomInt(random, open.length)];
      const client = system.submitterOf(job);
      // An unanswered kill stays in the history as such (kill-unanswered judges it); the storm goes on.
      answers.push(system.kill(client, job, options.answerBoundMs).catch(() => undefined));
    }
  };
  let running: Promise<void> = Promise.resolve();
  return {
    ...load,
    start: () => {
      load.start();
      running = run();
    },
    stop: () => {
      stopped = true;
      load.stop();
    },
    settle: async () => {
      await running;
      await Promise.all(answers);
      return load.settle();
    },
  };
}
