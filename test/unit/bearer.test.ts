import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_AUTHORIZATION_LENGTH, parseBearer } from '../../src/auth/bearer.js';

describe('parseBearer', () => {
  it('treats a missing header as anonymous', () => {
    assert.deepEqual(parseBearer(undefined), { kind: 'absent' });
  });

  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    it(`matches the scheme case-insensitively: ${scheme}`, () => {
      assert.deepEqual(parseBearer(`${scheme} abc.def.ghi`), { kind: 'token', token: 'abc.def.ghi', scheme: 'bearer' });
    });
  }

  for (const scheme of ['DPoP', 'dpop', 'DPOP']) {
    it(`reads the DPoP scheme case-insensitively: ${scheme}`, () => {
      assert.deepEqual(parseBearer(`${scheme} abc.def.ghi`), { kind: 'token', token: 'abc.def.ghi', scheme: 'dpop' });
    });
  }

  it('accepts every token68 character but padding', () => {
    assert.deepEqual(parseBearer('Bearer aZ09-._~+/'), { kind: 'token', token: 'aZ09-._~+/', scheme: 'bearer' });
  });

  const malformed = {
    'an empty header': '',
    'the scheme alone': 'Bearer',
    'the scheme and a space': 'Bearer ',
    'another scheme': 'Basic dXNlcjpwYXNz',
    'two tokens': 'Bearer a.b.c d.e.f',
    'two spaces': 'Bearer  a.b.c',
    'a tab for the space': 'Bearer\ta.b.c',
    'a trailing space': 'Bearer a.b.c ',
    'a leading space': ' Bearer a.b.c',
    'a token with a comma': 'Bearer a,b',
    'padding inside the token': 'Bearer a=b',
    'padding at the end, which a JWT never has': 'Bearer a.b.c=',
    'double padding': 'Bearer a.b.c==',
    'a token without the scheme': 'a.b.c',
    'the scheme glued to the token': 'Bearera.b.c',
    'the DPoP scheme glued to the token': 'DPoPa.b.c',
    'the DPoP scheme alone': 'DPoP ',
  };
  for (const [name, header] of Object.entries(malformed)) {
    it(`refuses ${name}`, () => {
      assert.deepEqual(parseBearer(header), { kind: 'malformed' });
    });
  }

  it('refuses an oversized header without looking into it', () => {
    assert.deepEqual(parseBearer(`Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH)}`), { kind: 'malformed' });
    assert.equal(parseBearer(`Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH - 7)}`).kind, 'token');
  });
});
