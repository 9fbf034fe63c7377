import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('reject mode and subscription settings', () => {
  it('default to filter mode and 1,000 connections', () => {
    const config = loadConfig({});
    assert.deepEqual([config.unauthorizedMode, config.subscriptionMaxConnections], ['filter', 1_000]);
  });

  it('read AUTHZ_UNAUTHORIZED_MODE and SUBSCRIPTION_MAX_CONNECTIONS', () => {
    const config = loadConfig({ AUTHZ_UNAUTHORIZED_MODE: 'reject', SUBSCRIPTION_MAX_CONNECTIONS: '5' });
    assert.deepEqual([config.unauthorizedMode, config.subscriptionMaxConnections], ['reject', 5]);
  });

  for (const [variable, value] of [['AUTHZ_UNAUTHORIZED_MODE', 'deny'], ['AUTHZ_UNAUTHORIZED_MODE', 'REJECT'], ['SUBSCRIPTION_MAX_CONNECTIONS', '0'], ['SUBSCRIPTION_MAX_CONNECTIONS', 'many']]) {
    it(`names ${variable} when it is "${value}"`, () => {
      assert.throws(() => loadConfig({ [variable!]: value! }), (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes('\n'));
    });
  }
});
