import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder of keelhaul's own package.json: the repository checkout, or node_modules/keelhaul when
 * installed from a tarball. Everything the package ships (features, compiled steps, cucumber.js,
 * examples) is found from here, never from the caller's working folder. Compiled, this file is
 * dist/harness/run/package-root.js, three levels below the root.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '../../..');

/** The version in keelhaul's package.json, read once. */
export function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error(`${path.join(PACKAGE_ROOT, 'package.json')} has no version`);
  return manifest.version;
}
