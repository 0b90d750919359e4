import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Random } from '../util/random';
import { ACCEPT_COUNTER } from './toxics/accept-toxic';
import { attributeValues, countEffectOf, type Toxic } from './toxics/toxic';

/** A connection the gate holds: hung until its toxic goes, or waiting out a slow accept. */
interface HeldClient {
  readonly toxic: Toxic;
  readonly timer?: NodeJS.Timeout;
  /** Lets the connection on to its upstream (a slow accept); absent for a hung one. */
  readonly proceed?: () => void;
}

/**
 * Where a proxy's connection toxics (keelhaul extensions: `refuse_new`, `hang_new`, `slow_accept`)
 * meet each new client before its upstream is dialled. Each toxic with an accept action rolls its
 * toxicity for the connection, in the order the toxics were added; the first that applies decides.
 * Connections already linked are never touched, which is the point: a proxy disabled through the
 * API closes its open connections too, these faults keep them.
 */
export class AcceptGate {
  private readonly held = new Map<Socket, HeldClient>();

  constructor(
    private readonly random: Random,
    private readonly logger: Logger,
  ) {}

  /** Decides about `client` (accepted paused, so nothing is read while held); `proceed` links it. */
  admit(client: Socket, toxics: readonly Toxic[], proceed: () => void): void {
    const toxic = toxics.find((candidate) => candidate.kind.atAccept !== undefined && this.random() < Math.fround(candidate.toxicity));
    const action = toxic?.kind.atAccept;
    if (toxic === undefined || action === undefined) {
      proceed();
      return;
    }
    countEffectOf(toxic)(ACCEPT_COUNTER[action]);
    client.on('error', (error) => this.logger.debug({ err: error.message, toxic: toxic.name }, 'Held client error'));
    switch (action) {
      case 'refuse':
        this.logger.debug({ toxic: toxic.name }, 'Refused client');
        client.resetAndDestroy();
        return;
      case 'hang':
        this.logger.debug({ toxic: toxic.name }, 'Hung client');
        this.held.set(client, { toxic });
        client.once('close', () => this.held.delete(client));
        return;
      case 'delay': {
        const go = (): void => {
          if (!this.held.delete(client)) return;
          clearTimeout(timer);
          if (!client.destroyed) proceed();
        };
        const timer = setTimeout(go, attributeValues(toxic).delay ?? 0);
        this.held.set(client, { toxic, timer, proceed: go });
        client.once('close', () => {
          clearTimeout(timer);
          this.held.delete(client);
        });
      }
    }
  }

  /** The toxic is gone: its hung clients are closed, its slow accepts go on at once. */
  released(toxic: Toxic): void {
    for (const [client, entry] of [...this.held]) {
      if (entry.toxic !== toxic) continue;
      if (entry.proceed) entry.proceed();
      else this.drop(client, entry);
    }
  }

  /** The proxy stops: everything held is closed. */
  closeAll(): void {
    for (const [client, entry] of [...this.held]) this.drop(client, entry);
  }

  private drop(client: Socket, entry: HeldClient): void {
    clearTimeout(entry.timer);
    this.held.delete(client);
    client.destroy();
  }
}
