import { everyProfileForbids } from '../registry';
import type { ControlHistory } from './history';

/**
 * The control ladder and the maker of its entries, apart from the registry (system.ts) that imports
 * every entry: an entry file takes its maker from here without a circular import.
 */

/**
 * "Kill job N" as a checked contract (issue #18, KHC/1): a ladder of one beside the request-reply
 * ladder, because what a kill promises (a definite answer, and `killed` meaning the job never
 * completes) says nothing about delivery guarantees; a control scenario is judged by both.
 */
export const CONTROL_LADDER = ['control'] as const;
export type ControlProfile = (typeof CONTROL_LADDER)[number];

/** The control checks need nothing besides the history: the pipe-ordering tolerance is fixed (history.ts). */
export type ControlCheckOptions = Record<string, never>;

/** An entry the control ladder forbids; the checks read the history indexed once (history.ts). */
export const controlRule = everyProfileForbids<ControlProfile, ControlHistory, ControlCheckOptions>('control', CONTROL_LADDER);
