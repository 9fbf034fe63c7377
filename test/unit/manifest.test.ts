import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManifestError, readManifest } from '../../src/documents/manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'manifest-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `content` (an object as JSON, a string as is) to a fresh file and returns its path. */
function manifest(content: unknown): string {
  const file = join(dir, `manifest-${files++}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const apollo = (operations: unknown, version: unknown = 1) => ({ format: 'apollo-persisted-query-manifest', version, operations });

/** The one-line error a manifest stops start-up with, its file name replaced by FILE. */
function problem(file: string): string {
  try {
    readManifest(file);
  } catch (error) {
    assert.ok(error instanceof ManifestError);
    assert.equal(error.name, 'ManifestError');
    return error.message.replace(file, 'FILE');
  }
  assert.fail('the manifest was accepted');
}

describe('readManifest', () => {
  it("reads Apollo's format: id, name when it is a string, and body", () => {
    const file = manifest(apollo([
      { id: 'abc', name: 'Public', type: 'query', body: '{ publicMessage { text } }' },
      { id: 'def', name: 42, body: '{ __typename }' },
      { id: 'ghi', body: '{ __typename }' },
    ]));
    assert.deepEqual(readManifest(file), [
      { id: 'abc', name: 'Public', body: '{ publicMessage { text } }' },
      { id: 'def', name: undefined, body: '{ __typename }' },
      { id: 'ghi', name: undefined, body: '{ __typename }' },
    ]);
  });

  it("reads codegen's map from hash to document", () => {
    assert.deepEqual(readManifest(manifest({ 'sha256:1': '{ a }', b2: '{ b }' })), [
      { id: 'sha256:1', name: undefined, body: '{ a }' },
      { id: 'b2', name: undefined, body: '{ b }' },
    ]);
  });

  const refused: Array<[string, unknown, string | RegExp]> = [
    ['no JSON', '{"operations":', /^Trusted documents FILE cannot be read: .*JSON/],
    ['an array', [['x', '{ a }']], 'Trusted documents FILE must be a JSON object'],
    ['null', 'null', 'Trusted documents FILE must be a JSON object'],
    ['a string', '"{ a }"', 'Trusted documents FILE must be a JSON object'],
    ['an empty map', {}, 'Trusted documents FILE list no operation'],
    ['no Apollo operation', apollo([]), 'Trusted documents FILE list no operation'],
    ['another Apollo version', apollo([{ id: 'a', body: '{ a }' }], 2), 'Trusted documents FILE: only version 1 of apollo-persisted-query-manifest is known'],
    ['a version as a string', apollo([{ id: 'a', body: '{ a }' }], '1'), 'Trusted documents FILE: only version 1 of apollo-persisted-query-manifest is known'],
    ['operations that are no array', apollo({ a: { id: 'a', body: '{ a }' } }), 'Trusted documents FILE: "operations" must be an array'],
    ['an operation without id', apollo([{ id: 'a', body: '{ a }' }, { body: '{ b }' }]), 'Trusted documents FILE: operation 1 needs a string "id" and "body"'],
    ['an operation without body', apollo([{ id: 'a' }]), 'Trusted documents FILE: operation 0 needs a string "id" and "body"'],
    ['an operation that is no object', apollo(['{ a }']), 'Trusted documents FILE: operation 0 needs a string "id" and "body"'],
    ['an operation that is null', apollo([null]), 'Trusted documents FILE: operation 0 needs a string "id" and "body"'],
    ['an operation that is an array', apollo([['a', '{ a }']]), 'Trusted documents FILE: operation 0 needs a string "id" and "body"'],
    ['a codegen document that is no string', { abc: { body: '{ a }' } }, 'Trusted documents FILE: the document of "abc" must be a string'],
  ];
  for (const [name, content, expected] of refused) {
    it(`refuses ${name}, in one line naming the file`, () => {
      const message = problem(manifest(content));
      if (typeof expected === 'string') assert.equal(message, expected);
      else assert.match(message, expected);
    });
  }

  it('refuses a file that cannot be read', () => {
    assert.match(problem(join(dir, 'missing.json')), /^Trusted documents FILE cannot be read: ENOENT/);
  });
});
