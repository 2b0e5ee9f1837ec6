// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with Node's test runner.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync('packages')) {
  const dir = join('packages', pkg, 'dist', 'test');
  if (existsSync(dir)) collect(dir, files);
}
if (files.length === 0) {
  console.error('no compiled tests found: run `npx tsc -b` first');
  process.exit(1);
}
const filter = process.argv[2];
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected.sort()], { stdio: 'inherit' });
process.exit(r.status ?? 1);
