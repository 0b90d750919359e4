import type { SpecCatalogue, UnitTestRef } from './clause';

const MMI_ANSWERS: UnitTestRef = { file: 'test/reference/broker.test.ts', name: '8/MMI: mmi.service answers 200 for a served service, 404 otherwise; other mmi.* answer 501' };
const PYTHON_MMI: UnitTestRef = { file: 'test/interop/python-mdp.test.ts', name: 'Python client asks 8/MMI mmi.service: 200 for a served service, 404 otherwise, 501 for other mmi.*' };

/** ZeroMQ RFC 8/MMI (Majordomo Management Interface), https://rfc.zeromq.org/spec/8/: every MUST and SHOULD. */
export const RFC8: SpecCatalogue = {
  spec: 'rfc8',
  title: '8/MMI: Majordomo Management Interface (ZeroMQ RFC 8)',
  source: 'https://rfc.zeromq.org/spec/8/ (zeromq/rfc, content/docs/rfcs/8/README.md)',
  clauses: [
    { id: 'rfc8:default-services', level: 'SHOULD', section: 'Goals', text: 'Define a default set of management services that MMI-compatible brokers SHOULD implement.' },
    { id: 'rfc8:internal-namespace', level: 'MUST', section: 'Namespace', text: 'An MMI broker implementation MUST handle all services that start with "mmi." internally.', tests: [MMI_ANSWERS] },
    {
      id: 'rfc8:refuse-mmi-workers',
      level: 'MUST',
      section: 'Namespace',
      text: 'It MUST disconnect any workers that attempt to register services in this namespace.',
      tests: [{ file: 'test/reference/broker.test.ts', name: 'a worker that registers a reserved mmi.* service gets DISCONNECT and is not registered' }],
    },
    { id: 'rfc8:mmi-service', level: 'MUST', section: 'Default services', text: 'An MMI broker implementation MUST implement these services: mmi.service', tests: [MMI_ANSWERS, PYTHON_MMI] },
    {
      id: 'rfc8:service-found',
      level: 'MUST',
      section: 'Default services',
      text: 'mmi.service ... responds with "200" (Found) if there is at least one worker registered for the service',
      tests: [MMI_ANSWERS, { file: 'test/mdp/codec.test.ts', name: 'mmi.service answers 200 for a service with workers' }],
    },
    {
      id: 'rfc8:service-not-found',
      level: 'MUST',
      section: 'Default services',
      text: 'or "404" (Not found) if there are no workers registered for the service.',
      tests: [MMI_ANSWERS, { file: 'test/mdp/codec.test.ts', name: 'mmi.service answers 404 for a service without workers, and for an empty question' }],
    },
    {
      id: 'rfc8:not-implemented',
      level: 'MUST',
      section: 'Default services',
      text: 'Any unimplemented services in the "mmi." namespace MUST result in a reply "501" (Not implemented).',
      tests: [MMI_ANSWERS, { file: 'test/mdp/codec.test.ts', name: 'any other mmi.* name answers 501 without consulting the worker table' }],
    },
  ],
  groups: [],
};
