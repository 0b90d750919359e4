import type { DriverReport } from '../../reference/drivers/protocol';
import { HistoryRecorder } from '../../harness/history/recorder';
import type { NodeHandle, ReportListener } from '../../harness/runtime/node-handle';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import type { Runtime } from '../../harness/runtime/runtime';
import { RequestReplySystem } from '../../harness/systems/request-reply/request-reply-system';
import type { RequestReplyStarters } from '../../harness/systems/request-reply/roles';
import type { SystemContext } from '../../harness/systems/system';
import { SCENARIO_TIMING } from '../../harness/timing/timing';

/**
 * A client driver played by the test: what the harness writes to its stdin is kept, and the test
 * answers on its stdout. No process and no network: this checks how the harness sends a kill and
 * records what comes back, not a system under test.
 */
export class ScriptedDriver {
  readonly sent: object[] = [];
  private readonly listeners = new Set<ReportListener>();
  readonly node: NodeHandle;
  constructor(name: string) {
    this.node = {
      name,
      role: 'client',
      running: true,
      frozen: false,
      onReport: (listener: ReportListener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      send: (message: object) => this.sent.push(message),
    } as unknown as NodeHandle;
  }
  report(line: object): void {
    for (const listener of [...this.listeners]) listener(line as DriverReport);
  }
}

export async function systemWith(driver: ScriptedDriver): Promise<{ system: RequestReplySystem; history: HistoryRecorder }> {
  const history = new HistoryRecorder();
  const runtime = {
    allocatePort: async () => 5555,
    harnessEndpoint: async () => 'tcp://127.0.0.1:5555',
    peerEndpoint: async () => 'tcp://127.0.0.1:5555',
    bindEndpoint: () => 'tcp://127.0.0.1:5555',
    stateDir: (_node: string, dir: string) => dir,
    start: async (spec: NodeSpec) => (spec.role === 'client' ? driver.node : ({ name: spec.name, role: spec.role, running: true, onReport: () => () => undefined } as unknown as NodeHandle)),
  } as unknown as Runtime;
  const implementation = { broker: (options: { name: string }) => ({ name: options.name, role: 'broker' }), client: (options: { name: string }) => ({ name: options.name, role: 'client' }) } as unknown as RequestReplyStarters;
  const context: SystemContext<RequestReplyStarters> = { runtime, implementation, timing: SCENARIO_TIMING, history, stateDir: '/nonexistent' };
  const system = new RequestReplySystem(context);
  await system.startBroker();
  await system.startClients(1);
  return { system, history };
}

