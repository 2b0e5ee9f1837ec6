#!/usr/bin/env node
// The `lot` command (compiled code lives in ../dist; `npx tsc -b` builds it).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('lot: not built yet; run `npm install` (or `npx tsc -b`) in the repository first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// stdout and stderr are synchronous on Linux (files, pipes, terminals): safe to exit now,
// which also ends any worker thread or timer left behind.
process.exit(code);
