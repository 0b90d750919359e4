import { Reply, Request } from 'zeromq';
import readline from 'node:readline';

/**
 * The toy system's two programs, one file: `--server <bind>` answers every request with itself
 * (plain REQ/REP); `--client <server>` is a driver that, for each `{"type":"call","job":...}` line on
 * stdin, asks the server and reports `{"type":"ok","job":...,"reply":...}`. Both print the driver
 * protocol's ready line. node --test runs every file under test/: without arguments it does nothing.
 */
async function server(bind: string): Promise<void> {
  const socket = new Reply();
  await socket.bind(bind);
  process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`);
  for await (const [request] of socket) await socket.send(request);
}

async function client(name: string, endpoint: string): Promise<void> {
  const socket = new Request({ receiveTimeout: 2_000 });
  socket.connect(endpoint);
  process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const { job } = JSON.parse(line) as { job: string };
    await socket.send(job);
    const [reply] = await socket.receive();
    process.stdout.write(`${JSON.stringify({ type: 'ok', job, reply: reply.toString(), process: name })}\n`);
  }
  process.exit(0);
}

const [mode, first, second] = process.argv.slice(2);
if (mode === '--server') void server(first);
else if (mode === '--client') void client(first, second);
