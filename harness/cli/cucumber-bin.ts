import path from 'node:path';

/** cucumber-js's executable. Its package does not export the bin path, so it is found from package.json. */
export function cucumberBin(root: string): string {
  const manifest = require.resolve('@cucumber/cucumber/package.json', { paths: [root] });
  return path.join(path.dirname(manifest), 'bin', 'cucumber.js');
}
