import { Command } from 'commander';
import { registerPubSubCommands } from '../../harness/cli/pubsub-commands';

/**
 * A stand-in for `keelhaul` with only the pub/sub commands, so the tests can run them as child
 * processes before main.ts registers them. node --test runs every file here too: with no command
 * line arguments it does nothing.
 */
if (process.argv.length > 2) {
  const program = new Command().name('keelhaul').showHelpAfterError();
  registerPubSubCommands(program);
  program.parseAsync(process.argv).catch((error: unknown) => {
    process.stderr.write(`keelhaul: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
