import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

// madge's command line, as `npx madge --circular` runs it: the package ships no types for its API.
const MADGE = createRequire(import.meta.url).resolve('madge/bin/cli.js');

describe('the import graph of src', () => {
  it('has no circles, type-only imports included', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [MADGE, '--circular', '--json', '--extensions', 'ts', 'src']);
    assert.deepEqual(JSON.parse(stdout), []);
  });
});
