#!/usr/bin/env node
// The `antom-auth` command. Runs the TypeScript CLI through tsx (a runtime dependency) so the
// package works from a git checkout without a build step.
require('tsx/cjs');
require('../src/cli.ts');
