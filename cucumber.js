// Cucumber runs the compiled step definitions (npm run build comes first, see package.json).
// The run's settings come from harness/run/run-config.ts: the file KEELHAUL_RUN_CONFIG names (keelhaul
// features and verify write one), or else the individual variables (KEELHAUL_REPORT_DIR,
// KEELHAUL_RETRIES, ...). Every run gets its own report folder, reports/<run id>/ unless one is given;
// reading the settings here, in the process that runs the steps, fixes the run id the steps share.
let runConfig;
try {
  ({ runConfig } = require('./dist/harness/run/run-config'));
} catch (error) {
  throw new Error(`keelhaul: the compiled harness is missing (${error.message}); run npm run build first`);
}
const run = runConfig();

const FEATURES = ['features/**/*.feature'];
const common = {
  require: ['dist/steps/**/*.js'],
  formatOptions: { snippetInterface: 'async-await' },
  strict: true,
  // A scenario is tried again only when it came out INCONCLUSIVE (the harness could not create its own
  // condition): the hooks skip the retry of a FAIL or ERROR, whose first verdict stands. keelhaul
  // features/verify --retries sets it.
  retry: run.retries,
  // keelhaul features/verify --shard i/n (KEELHAUL_SHARD): cucumber-js's own split of the selected
  // scenarios, checked by harness/run/shard.ts first (cucumber-js runs nothing for a bad value).
  ...(run.shard ? { shard: run.shard } : {}),
  // --parallel n (KEELHAUL_PARALLEL): n worker processes, each with its own scenarios' nodes, ports,
  // fault proxy and folders. Off by default: see docs/runs.md.
  ...(run.parallel && run.parallel > 1 ? { parallel: run.parallel } : {}),
};

// One line per scenario with its verdict as it finishes; verdicts.json, junit.xml, summary.md,
// Cucumber's HTML report, and per scenario its history, logs and timeline.svg in the run folder.
const reports = {
  format: ['./dist/harness/report/verdict-formatter.js', `html:${run.reportDir}/cucumber-report.html`, `json:${run.reportDir}/cucumber-report.json`],
};

module.exports = {
  default: { ...common, paths: FEATURES, ...reports },
  // Only the feature files named on the command line (`cucumber-js --profile files x.feature`): Cucumber
  // adds command-line paths to a profile's, so the default profile would run features/ as well.
  // keelhaul shrink runs its candidates and its shrunk.feature this way (docs/shrink.md).
  files: { ...common, ...reports },
  // The fast subset npm test runs after the unit tests.
  smoke: { ...common, paths: FEATURES, tags: '@smoke', format: ['summary'] },
};
