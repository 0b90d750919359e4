// Cucumber runs the compiled step definitions (npm run build comes first, see package.json).
const common = {
  paths: ['features/**/*.feature'],
  require: ['dist/steps/**/*.js'],
  format: ['progress-bar', 'html:reports/cucumber-report.html', 'json:reports/cucumber-report.json'],
  formatOptions: { snippetInterface: 'async-await' },
  strict: true,
};

module.exports = {
  default: common,
  // The fast subset npm test runs after the unit tests.
  smoke: { ...common, tags: '@smoke', format: ['summary'] },
};
