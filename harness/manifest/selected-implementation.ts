import { PROFILES, type Profile } from '../checker/profile';
import type { Timing } from '../timing/timing';
import type { Implementation } from '../implementation/implementation';
import { referenceImplementation } from '../implementation/reference';
import { loadManifest } from './manifest';
import { ManifestImplementation } from './manifest-implementation';
import { runConfig } from '../run/run-config';

/** The implementation under test, what it claims, and the timing it asks for. */
export interface ImplementationUnderTest {
  implementation: Implementation;
  claimed: readonly Profile[];
  timing?: Partial<Timing>;
  /** The manifest it came from, if any. */
  manifestFile?: string;
  /** How many replicas its broker runs as in the cluster scenarios (the manifest's `roles.broker.replicas`); undefined: the scenario's own count. */
  brokerReplicas?: number;
  /** Whether its broker recipe uses `{{join}}`, so a replica can be started to join a running cluster (the membership scenarios); the reference can. */
  brokerJoins: boolean;
}

/** A recipe's command or env uses `{{name}}` (spaces inside the braces allowed, as in templates). */
function usesPlaceholder(recipe: { command?: readonly string[]; env?: Readonly<Record<string, string>> } | undefined, name: string): boolean {
  const pattern = new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`);
  return [...(recipe?.command ?? []), ...Object.values(recipe?.env ?? {})].some((text) => pattern.test(text));
}

let cached: { key: string; value: ImplementationUnderTest } | undefined;

/**
 * The run config's manifest (harness/run/run-config.ts: `keelhaul verify --impl`, or KEELHAUL_IMPL for
 * `npm run features` and plain cucumber-js); without one the reference implementation is under test and claims every profile.
 */
export function implementationUnderTest(env: NodeJS.ProcessEnv = process.env): ImplementationUnderTest {
  const key = runConfig(env).impl ?? '';
  if (cached?.key === key) return cached.value;
  let value: ImplementationUnderTest;
  if (key === '') {
    value = { implementation: referenceImplementation, claimed: PROFILES, brokerJoins: true };
  } else {
    const loaded = loadManifest(key);
    const broker = loaded.manifest.roles.broker;
    const brokerReplicas = broker?.replicas;
    // A manifest without a broker of its own runs the reference's, which joins.
    const brokerJoins = broker === undefined || usesPlaceholder(broker, 'join');
    value = { implementation: new ManifestImplementation(loaded), claimed: loaded.manifest.profiles, timing: loaded.manifest.timing, manifestFile: loaded.file, brokerJoins, ...(brokerReplicas !== undefined ? { brokerReplicas } : {}) };
  }
  cached = { key, value };
  return value;
}
