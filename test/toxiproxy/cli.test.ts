import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { normaliseToxiproxyArgv } from '../../harness/toxiproxy/cli-options';
import { withTimeout } from '../../harness/util/wait-for';
import { Client, createProxy, http, startEchoServer, withCleanup } from './support';

const CLI = path.resolve(__dirname, '../../harness/cli/main.js');
const argv = (...args: string[]): string[] => ['node', 'keelhaul.js', ...args];

describe('keelhaul toxiproxy: toxiproxy-server\'s single-dash flags', () => {
  test('-host, -port, -config and -seed become their double-dash forms, with a separate or an = value', () => {
    assert.deepEqual(
      normaliseToxiproxyArgv(argv('toxiproxy', '-host', '0.0.0.0', '-port=8475', '-config', 'proxies.json', '-seed', '-5')),
      argv('toxiproxy', '--host', '0.0.0.0', '--port=8475', '--config', 'proxies.json', '--seed', '-5'),
    );
  });

  test('boolean flags: -version, -proxy-metrics, -runtime-metrics, also Go\'s =true and =false', () => {
    assert.deepEqual(
      normaliseToxiproxyArgv(argv('toxiproxy', '-proxy-metrics', '-runtime-metrics=false', '-version=true')),
      argv('toxiproxy', '--proxy-metrics', '--version'),
    );
  });

  test('-h stays help, double-dash flags and unknown single-dash ones are left to commander, nothing after -- is touched', () => {
    assert.deepEqual(normaliseToxiproxyArgv(argv('toxiproxy', '-h')), argv('toxiproxy', '-h'));
    assert.deepEqual(normaliseToxiproxyArgv(argv('toxiproxy', '--port', '1', '-verbose')), argv('toxiproxy', '--port', '1', '-verbose'));
    assert.deepEqual(normaliseToxiproxyArgv(argv('toxiproxy', '--', '-host')), argv('toxiproxy', '--', '-host'));
  });

  test('a value that looks like a flag stays a value, as Go takes it', () => {
    assert.deepEqual(normaliseToxiproxyArgv(argv('toxiproxy', '-host', '-port')), argv('toxiproxy', '--host', '-port'));
  });

  test('other commands keep their arguments as they are', () => {
    assert.deepEqual(normaliseToxiproxyArgv(argv('broker', '-host', 'x')), argv('broker', '-host', 'x'));
    assert.deepEqual(normaliseToxiproxyArgv(argv('verify', '--tags', 'toxiproxy', '-seed', '1')), argv('verify', '--tags', 'toxiproxy', '-seed', '1'));
  });
});

/** Starts `keelhaul toxiproxy <args>` and resolves with its API URL once it prints it. */
async function startCli(args: string[], defer: (release: () => unknown) => void): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'toxiproxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } });
  defer(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await withTimeout(exited, 5000, 'keelhaul toxiproxy to exit');
  });
  let output = '';
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (data: Buffer) => {
        output += data.toString();
        const listening = /API listening on (http:\/\/\S+)/.exec(output);
        if (listening) resolve(listening[1]);
      });
      child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
      child.once('exit', (code) => reject(new Error(`keelhaul toxiproxy exited with ${code}: ${output}`)));
    }),
    10_000,
    'keelhaul toxiproxy to listen',
  );
  return { url, child };
}

describe('keelhaul toxiproxy: GET /metrics', () => {
  test('started as toxiproxy-server is (-host -port -seed -proxy-metrics), it counts each proxy\'s bytes in Prometheus text', async () => {
    await withCleanup(async (defer) => {
      const echo = await startEchoServer();
      defer(() => echo.close());
      const { url } = await startCli(['-host', '127.0.0.1', '-port', '0', '-seed', '7', '-proxy-metrics'], defer);
      const listen = await createProxy(url, 'echo', `127.0.0.1:${echo.port}`);
      const client = await Client.connect(listen);
      defer(() => client.socket.destroy());
      await client.roundTrip('hello');
      await client.roundTrip('world!');

      const reply = await http(url, 'GET', '/metrics');
      assert.equal(reply.status, 200);
      assert.match(reply.contentType ?? '', /^text\/plain; version=0\.0\.4/);
      const labels = (direction: string) => `{direction="${direction}",listener="127.0.0.1:${listen}",proxy="echo",upstream="127.0.0.1:${echo.port}"}`;
      for (const family of ['toxiproxy_proxy_received_bytes_total', 'toxiproxy_proxy_sent_bytes_total']) {
        assert.ok(reply.body.includes(`# TYPE ${family} counter\n`), reply.body);
        for (const direction of ['upstream', 'downstream']) assert.ok(reply.body.includes(`${family}${labels(direction)} 11\n`), `${family} ${direction}:\n${reply.body}`);
      }
      assert.doesNotMatch(reply.body, /process_/, 'no runtime series without -runtime-metrics');
    });
  });

  test('bytes a toxic drops are received but not sent', async () => {
    await withCleanup(async (defer) => {
      const echo = await startEchoServer();
      defer(() => echo.close());
      const { url } = await startCli(['-port=0', '-proxy-metrics=true'], defer);
      const listen = await createProxy(url, 'cut', `127.0.0.1:${echo.port}`);
      await http(url, 'POST', '/proxies/cut/toxics', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
      const client = await Client.connect(listen);
      defer(() => client.socket.destroy());
      client.socket.write('lost');
      const counted = async (): Promise<string> => (await http(url, 'GET', '/metrics')).body;
      const received = `toxiproxy_proxy_received_bytes_total{direction="upstream",listener="127.0.0.1:${listen}",proxy="cut",upstream="127.0.0.1:${echo.port}"} 4`;
      await withTimeout(
        (async () => {
          while (!(await counted()).includes(received)) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
        3000,
        'the proxy to count the 4 bytes it received',
      );
      assert.match(await counted(), /toxiproxy_proxy_sent_bytes_total\{direction="upstream",[^}]*proxy="cut"[^}]*\} 0\n/);
    });
  });

  test('-runtime-metrics serves the process series; without either flag /metrics is a 404, as on the real server', async () => {
    await withCleanup(async (defer) => {
      const runtime = await startCli(['-port', '0', '-runtime-metrics'], defer);
      const reply = await http(runtime.url, 'GET', '/metrics');
      assert.equal(reply.status, 200);
      assert.match(reply.body, /^process_resident_memory_bytes \d+$/m);
      assert.match(reply.body, /^process_cpu_seconds_total [\d.e-]+$/m);
      const plain = await startCli(['-port', '0'], defer);
      assert.equal((await http(plain.url, 'GET', '/metrics')).status, 404);
    });
  });
});
