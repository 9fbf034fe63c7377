import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permissionsOf } from '../../src/auth/principal.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const granted = (claims: Record<string, unknown>, claim?: 'permissions' | 'scope') => [...permissionsOf(claims, claim)];

describe('the permission source', () => {
  it('reads the Auth0 RBAC permissions array by default', () => {
    assert.deepEqual(granted({ permissions: ['a', 'b'], scope: 'c' }), ['a', 'b']);
  });

  it('reads the OAuth 2 scope string when configured, split on spaces', () => {
    assert.deepEqual(granted({ scope: 'openid  read:a read:b', permissions: ['x'] }, 'scope'), ['openid', 'read:a', 'read:b']);
  });

  it('never merges the two: the other claim grants nothing', () => {
    assert.deepEqual(granted({ scope: 'read:a' }), []);
    assert.deepEqual(granted({ permissions: ['read:a'] }, 'scope'), []);
  });

  it('grants nothing for a scope that is not a string', () => {
    for (const scope of [['read:a'], { 'read:a': true }, null, 7]) assert.deepEqual(granted({ scope }, 'scope'), [], JSON.stringify(scope));
  });
});

describe('authorization settings', () => {
  it('default to the permissions claim and allow-by-default', () => {
    const config = loadConfig({});
    assert.equal(config.permissionsClaim, 'permissions');
    assert.equal(config.denyByDefault, false);
  });

  it('read PERMISSIONS_CLAIM and AUTHZ_DEFAULT', () => {
    const config = loadConfig({ PERMISSIONS_CLAIM: 'scope', AUTHZ_DEFAULT: 'deny' });
    assert.equal(config.permissionsClaim, 'scope');
    assert.equal(config.denyByDefault, true);
  });

  for (const [variable, value] of [['PERMISSIONS_CLAIM', 'both'], ['PERMISSIONS_CLAIM', 'permissions scope'], ['AUTHZ_DEFAULT', 'strict']]) {
    it(`name ${variable} when it is "${value}"`, () => {
      assert.throws(() => loadConfig({ [variable!]: value! }), (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes('\n'));
    });
  }
});
