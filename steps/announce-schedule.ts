import { describeSchedule, type FaultSchedule } from '../harness/nemesis/fault-schedule';
import { stormReplayCommand } from '../harness/cli/storm-replay';
import type { KeelhaulWorld } from './world';

/**
 * A storm's schedule on the console as well as in the report: the seed (and the command that
 * replays it) is what a failing CI run needs; a schedule from a fault table replays from the table.
 */
export function announceSchedule(world: KeelhaulWorld, what: string, replayTags: string): (schedule: FaultSchedule) => void {
  return (schedule) => {
    const described = describeSchedule(schedule);
    const replay = schedule.given ? 'the fault table replays it' : `replay: ${stormReplayCommand(schedule.seed, replayTags)}`;
    process.stderr.write(`\n${what} seed ${schedule.seed} (${replay})\n${described}\n`);
    world.attach(described, 'text/plain');
  };
}
