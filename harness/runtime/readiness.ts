import net from 'node:net';
import type { ReportListener } from './node-handle';
import type { ReadyCheck } from './node-spec';

/** Where a starting node's signs of life come from, in any runtime. */
export interface ReadySources {
  onReport(listener: ReportListener): () => void;
  /** Every stdout/stderr line that is not a report. */
  onLine(listener: (line: string) => void): () => void;
}

/** What the node must do to count as ready, for error messages. */
export function describeReadyCheck(check: ReadyCheck): string {
  if (check.kind === 'report') return 'report ready';
  if (check.kind === 'tcp') return `accept TCP connections on ${check.host}:${check.port}`;
  return `log a line matching ${check.pattern}`;
}

/**
 * Resolves once the node meets `check`; `cancel` stops watching (the caller races it against the
 * node's exit and a timeout). `tcpHost` replaces the check's host where the harness reaches the
 * node at another address than the node binds (a container's IP).
 */
export function whenReady(check: ReadyCheck, sources: ReadySources, tcpHost?: string): { ready: Promise<void>; cancel: () => void } {
  let cancel = () => undefined as void;
  const ready = new Promise<void>((resolve) => {
    if (check.kind === 'report') {
      const off = sources.onReport((report) => report.type === 'ready' && resolve());
      cancel = () => void off();
    } else if (check.kind === 'log') {
      const off = sources.onLine((line) => check.pattern.test(line) && resolve());
      cancel = () => void off();
    } else {
      cancel = pollTcp(tcpHost ?? check.host, check.port, resolve);
    }
  });
  void ready.then(() => cancel());
  return { ready, cancel: () => cancel() };
}

/** Tries to connect every 50 ms until a connection succeeds; returns a function that stops trying. */
function pollTcp(host: string, port: number, onOpen: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = () => {
    if (stopped) return;
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      if (!stopped) onOpen();
    });
    socket.once('error', () => {
      socket.destroy();
      if (!stopped) timer = setTimeout(attempt, 50);
    });
  };
  attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
