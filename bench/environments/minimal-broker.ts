import type { Environment } from '../measurement';
import { mdpPipelined, mdpRawSync, startBrokerAndWorkers, type BrokerEndpoint } from './reference-broker';

/**
 * The field's pace in the broker rows' own layout: a minimal 7/MDP load-balancing broker
 * (`minimal-mdp-broker`) and as many bare workers as the reference rows have (`minimal-mdp-workers`,
 * one process), driven by the same loads. Measured in the same run as the reference broker, so the
 * two compare on this machine, today; the figures the issue names (a minimal Node broker at 0.39×
 * the echo floor) were measured on another processor.
 */
export const minimalBroker: Environment<BrokerEndpoint> = {
  id: 'minimal-broker',
  description: 'minimal 7/MDP load-balancing broker (one process) + bare workers (one process)',
  async start(context) {
    const { endpoint } = await startBrokerAndWorkers(context, { name: 'minimal-broker', brokerScript: 'minimal-mdp-broker', workersScript: 'minimal-mdp-workers' });
    return { endpoint };
  },
};

export const anchorSync = mdpRawSync<BrokerEndpoint>({ id: 'anchor.sync', title: 'Minimal 7/MDP broker (raw MDPC01 DEALER)', environment: minimalBroker, baseline: 'floor.sync' });
export const anchorPipelined = mdpPipelined<BrokerEndpoint>({ id: 'anchor.pipelined', title: 'Minimal 7/MDP broker (raw MDPC01 DEALERs)', environment: minimalBroker, baseline: 'floor.pipelined' });
