import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'graphql';
import { ErrorCode } from '../../src/errors.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { rejection } from '../../src/graphql/reject-unauthorized.js';
import { captureLogs } from '../helpers/log-capture.js';

describe('reject mode when the analysis fails', () => {
  const schema = buildSchema();
  const options = { listDenied: false };

  it('refuses an operation it cannot analyse, as an internal error logged at error', () => {
    const { logger, lines } = captureLogs();
    const refused = rejection(schema, parse('query A { publicMessage { text } }'), { principal: null, log: logger }, { operationName: 'B' }, options);
    assert.equal(refused?.extensions['code'], ErrorCode.INTERNAL_SERVER_ERROR);
    assert.deepEqual(lines.map((line) => [line['level'], line['msg']]), [[50, 'operation analysis failed; refused']]);
  });

  it('refuses values that do not fit with BAD_USER_INPUT, logged at info without the values', () => {
    const { logger, lines, raw } = captureLogs();
    const document = parse('query($on: Boolean = true) { publicMessage { text @include(if: $on) } }');
    const refused = rejection(schema, document, { principal: null, log: logger }, { variables: { on: null } }, options);
    assert.equal(refused?.extensions['code'], ErrorCode.BAD_USER_INPUT);
    assert.deepEqual(lines.map((line) => [line['level'], line['msg']]), [[30, 'operation refused: invalid values']]);
    const secret = rejection(schema, parse('query($on: Boolean!) { publicMessage { text @include(if: $on) } }'), { principal: null, log: logger }, { variables: { on: 'secret-value' } }, options);
    assert.equal(secret?.extensions['code'], ErrorCode.BAD_USER_INPUT);
    assert.ok(!raw().includes('secret-value'));
  });
});
