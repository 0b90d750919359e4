import { faultMisshapen } from '../common/fault-misshapen';
import { defineCheckerSystem, type AnomalyCheck, type Finding } from '../registry';
import { NO_KILL_PERFORMED } from './guards';
import { indexControl, type ControlHistory } from './history';
import { KILL_UNANSWERED } from './kill-unanswered';
import { KILLED_AND_FINISHED } from './killed-and-finished';
import { CONTROL_LADDER as LADDER, type ControlCheckOptions, type ControlProfile } from './ladder';
import { RAN_AFTER_KILL } from './ran-after-kill';
import { STALE_KILL } from './stale-kill';

export type { ControlCheckOptions, ControlProfile };

/** An entry of the control registry; the checks read the history indexed once (history.ts). */
export type ControlCheck<N extends string> = AnomalyCheck<N, ControlProfile, ControlHistory, ControlCheckOptions, Finding<N>>;

const CONTROL_FAULT_MISSHAPEN: ControlCheck<'fault-misshapen'> = faultMisshapen('control', LADDER, (history: ControlHistory) => history.events);

/**
 * The control checker registry ("kill job N", KHC/1). To add an anomaly: define its entry beside its
 * check with `controlRule` (ladder.ts), add it here, write its tests, and regenerate the docs tables.
 */
export const CONTROL = defineCheckerSystem({
  system: 'control',
  profiles: LADDER,
  index: indexControl,
  checks: [RAN_AFTER_KILL, KILLED_AND_FINISHED, STALE_KILL, KILL_UNANSWERED, NO_KILL_PERFORMED, CONTROL_FAULT_MISSHAPEN],
});

export type ControlAnomalyName = (typeof CONTROL.names)[number];
