// Cucumber runs the compiled step definitions (npm run build comes first, see package.json).
// Every run gets its own report folder: reports/<run id>/ (or KEELHAUL_REPORT_DIR, which keelhaul
// verify sets). Setting the ids here, in the process that runs the steps, makes the steps agree.
process.env.KEELHAUL_RUN_ID = process.env.KEELHAUL_RUN_ID || `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
const runDir = process.env.KEELHAUL_REPORT_DIR || `reports/${process.env.KEELHAUL_RUN_ID}`;

const common = {
  paths: ['features/**/*.feature'],
  require: ['dist/steps/**/*.js'],
  formatOptions: { snippetInterface: 'async-await' },
  strict: true,
  // A scenario is tried again only when it came out INCONCLUSIVE (the harness could not create its own
  // condition): the hooks skip the retry of a FAIL or ERROR, whose first verdict stands. keelhaul
  // features/verify --retries sets it.
  retry: Number(process.env.KEELHAUL_RETRIES ?? 2),
};

module.exports = {
  // One line per scenario with its verdict as it finishes; verdicts.json, junit.xml, summary.md,
  // Cucumber's HTML report, and per scenario its history, logs and timeline.svg in the run folder.
  default: {
    ...common,
    format: ['./dist/harness/report/verdict-formatter.js', `html:${runDir}/cucumber-report.html`, `json:${runDir}/cucumber-report.json`],
  },
  // The fast subset npm test runs after the unit tests.
  smoke: { ...common, tags: '@smoke', format: ['summary'] },
};
