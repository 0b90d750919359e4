import type { ToxicKind } from './toxic';
import { hangNewToxic, refuseNewToxic, slowAcceptToxic } from './accept-toxic';
import { bandwidthToxic } from './bandwidth';
import { halfOpenToxic } from './half-open';
import { latencyToxic } from './latency';
import { limitDataToxic } from './limit-data';
import { noopToxic } from './noop';
import { resetPeerToxic } from './reset-peer';
import { slicerToxic } from './slicer';
import { slowCloseToxic } from './slow-close';
import { timeoutToxic } from './timeout';
import { zmtpDelayToxic } from './zmtp-delay';
import { zmtpDropToxic } from './zmtp-drop';
import { zmtpDuplicateToxic } from './zmtp-duplicate';
import { zmtpReorderToxic } from './zmtp-reorder';
import { zmtpTriggerToxic } from './zmtp-trigger';

/**
 * The toxic types the API accepts, by `type`. `down` is deliberately absent: it is not a toxic in
 * Toxiproxy (disable the proxy instead), and the API refuses it with `invalid toxic type`.
 */
export const TOXIC_KINDS: ReadonlyMap<string, ToxicKind> = new Map(
  [
    ...[latencyToxic, bandwidthToxic, slowCloseToxic, timeoutToxic, resetPeerToxic, slicerToxic, limitDataToxic, noopToxic],
    // keelhaul extensions: connection-level faults (docs/fault-proxy.md)
    ...[refuseNewToxic, hangNewToxic, slowAcceptToxic, halfOpenToxic],
  ].map((kind) => [kind.type, kind]),
);

/** keelhaul's extensions: message-aware toxics on ZMTP links (docs/fault-proxy.md). A real Toxiproxy refuses these types. */
export const MESSAGE_TOXIC_KINDS: readonly ToxicKind[] = [zmtpDropToxic, zmtpDuplicateToxic, zmtpDelayToxic, zmtpReorderToxic, zmtpTriggerToxic];
for (const kind of MESSAGE_TOXIC_KINDS) (TOXIC_KINDS as Map<string, ToxicKind>).set(kind.type, kind);
