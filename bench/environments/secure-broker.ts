import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeKeyFiles } from '../../reference/security/key-files';
import { generateKeyPair } from '../../reference/security/key-pair';
import { PeerSecurity } from '../../reference/security/peer-security';
import type { PolicyDocument } from '../../reference/security/policy';
import type { Environment } from '../measurement';
import { mdpPipelined, mdpSync, SERVICE, startBrokerAndWorkers } from './reference-broker';

/**
 * The reference-broker layout in secure mode (docs/security.md): CURVE on every connection, the
 * broker's ZAP handler checking each handshake against the policy, and the KHA/1 envelope opened and
 * checked against the policy on every message. The rows' baselines are the plain broker's rows of the
 * same run, so their ratios are what security costs.
 */
export interface SecureBroker {
  endpoint: string;
  /** The client principal's security: CURVE options and the envelope. */
  client: PeerSecurity;
}

export const secureBroker: Environment<SecureBroker> = {
  id: 'secure-broker',
  description: 'reference Broker in secure mode (CURVE + ZAP + KHA/1 envelopes; one process) + MajordomoWorker echo workers (one process)',
  async start(context) {
    const folder = context.children.tempDir('keelhaul-bench-keys-');
    const broker = generateKeyPair();
    const workers = generateKeyPair();
    const client = generateKeyPair();
    const policy: PolicyDocument = {
      version: 1,
      principals: { workers: { key: workers.publicKey, register: [SERVICE] }, client: { key: client.publicKey, call: [SERVICE] } },
    };
    const policyFile = path.join(folder, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(policy, null, 2));
    const { endpoint } = await startBrokerAndWorkers(context, {
      name: 'secure-broker',
      brokerArgs: ['--curve-key', writeKeyFiles(folder, 'broker', broker).secretFile, '--policy', policyFile],
      workerArgs: ['--curve-key', writeKeyFiles(folder, 'workers', workers).secretFile, '--server-key', broker.publicKey],
    });
    return { endpoint, client: new PeerSecurity(client, broker.publicKey) };
  },
};

export const secureSync = mdpSync<SecureBroker>({ id: 'secure.sync', title: 'Secure broker (MajordomoClient, CURVE)', environment: secureBroker, baseline: 'broker.sync' });
export const securePipelined = mdpPipelined<SecureBroker>({ id: 'secure.pipelined', title: 'Secure broker (raw MDPC01 DEALERs, CURVE)', environment: secureBroker, baseline: 'broker.pipelined' });
