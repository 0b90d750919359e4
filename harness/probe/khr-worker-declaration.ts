import { KHR_EXTENSION, KHT_EXTENSION, KHX_EXTENSION } from '../../reference/mdp/codec';
import { KHC_EXTENSION } from '../../reference/mdp/control-codec';
import type { HeardMessage } from './stand-in-broker';
import { fromWorkers } from './worker-conformance';

/** The extension tokens a READY may carry; an instance id is any other frame. */
const TOKENS = new Set([KHX_EXTENSION, KHC_EXTENSION, KHT_EXTENSION, KHR_EXTENSION]);

/** How a KHR/1 worker's READY extension frames must read (docs/protocol.md, KHR/1 "Negotiation"). */
const LAYOUT = `${KHX_EXTENSION}, instance id, [${KHC_EXTENSION}], ${KHT_EXTENSION}, ${KHR_EXTENSION}`;

/** Why one READY's extension frames are not that layout, or undefined when they are. */
function layoutProblem(extensions: readonly string[]): string | undefined {
  const [khx, instance, ...rest] = extensions;
  if (khx !== KHX_EXTENSION) return `its first extension frame is ${JSON.stringify(khx ?? '')}, not ${KHX_EXTENSION}`;
  if (instance === undefined || instance === '' || TOKENS.has(instance)) return `${KHX_EXTENSION} is followed by ${JSON.stringify(instance ?? '')}, not an instance id`;
  const expected = rest[0] === KHC_EXTENSION ? [KHC_EXTENSION, KHT_EXTENSION, KHR_EXTENSION] : [KHT_EXTENSION, KHR_EXTENSION];
  if (rest.length !== expected.length || rest.some((token, at) => token !== expected[at])) return `after the instance id come ${rest.map((token) => JSON.stringify(token)).join(', ')}, not ${expected.join(', ')}`;
  return undefined;
}

/**
 * khr1:worker-declares-khr, judged from the READYs a stand-in broker heard from a worker asked to speak
 * KHR/1: `declared` says whether any READY carried `KHR/1` at all (a worker that never does speaks no
 * KHR/1, or ignored `{{khr}}`: nothing to judge); each problem names the clause.
 */
export function khrDeclarationProblems(heard: readonly HeardMessage[]): { declared: boolean; problems: string[] } {
  const readies = fromWorkers(heard).flatMap((message) => (message.message.kind === 'ready' ? [{ connection: message.connection, extensions: message.message.extensions }] : []));
  const declaring = readies.filter(({ extensions }) => extensions.includes(KHR_EXTENSION));
  const problems = declaring.flatMap(({ connection, extensions }) => {
    const problem = layoutProblem(extensions);
    return problem === undefined ? [] : [`[khr1:worker-declares-khr] the worker's READY on connection ${connection} declares ${extensions.map((token) => JSON.stringify(token)).join(', ')}: ${problem} (a KHR/1 worker declares ${LAYOUT})`];
  });
  return { declared: declaring.length > 0, problems };
}
