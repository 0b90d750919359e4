#!/usr/bin/env node
// The CLI is written in TypeScript and compiled to dist/ by `npm run build` (run by npm ci's prepare step).
require('../dist/harness/cli/main.js');
