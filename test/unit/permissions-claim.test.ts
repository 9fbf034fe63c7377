import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permissionsReader } from '../../src/auth/principal.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const granted = (claims: Record<string, unknown>, claim?: string) => [...permissionsReader(claim)(claims)];

describe('the permission source', () => {
  it('reads the Auth0 RBAC permissions array by default', () => {
    assert.deepEqual(granted({ permissions: ['a', 'b'], scope: 'c' }), ['a', 'b']);
  });

  it('reads the OAuth 2 scope string when configured, split on spaces', () => {
    assert.deepEqual(granted({ scope: 'openid  read:a read:b', permissions: ['x'] }, 'scope'), ['openid', 'read:a', 'read:b']);
  });

  it('never merges two claims: another claim grants nothing', () => {
    assert.deepEqual(granted({ scope: 'read:a' }), []);
    assert.deepEqual(granted({ permissions: ['read:a'] }, 'scope'), []);
    assert.deepEqual(granted({ roles: ['read:a'], realm_access: { roles: ['read:b'] } }, '/realm_access/roles'), ['read:b']);
  });

  it('takes an array of strings or a space-separated string from any claim, as Entra ID does with roles and scp', () => {
    assert.deepEqual(granted({ scope: ['read:a', 'read:b'] }, 'scope'), ['read:a', 'read:b']);
    assert.deepEqual(granted({ permissions: 'read:a read:b' }), ['read:a', 'read:b']);
    assert.deepEqual(granted({ scp: 'read:a' }, 'scp'), ['read:a']);
  });

  it('grants nothing for a claim of any other shape', () => {
    for (const scope of [{ 'read:a': true }, null, 7, ['read:a', 7], [['read:a']]]) assert.deepEqual(granted({ scope }, 'scope'), [], JSON.stringify(scope));
  });

  it('follows an RFC 6901 pointer into nested claims, with ~1 for a slash and ~0 for a tilde', () => {
    assert.deepEqual(granted({ realm_access: { roles: ['admin'] } }, '/realm_access/roles'), ['admin']);
    assert.deepEqual(granted({ 'https://example.com/roles': ['admin'] }, '/https:~1~1example.com~1roles'), ['admin']);
    assert.deepEqual(granted({ 'a~b': 'x y' }, '/a~0b'), ['x', 'y']);
    assert.deepEqual(granted({ realm_access: 'admin' }, '/realm_access/roles'), [], 'a pointer through a string reaches nothing');
  });

  it('reads a top-level name that holds a slash as that one claim, not as a path', () => {
    assert.deepEqual(granted({ 'https://example.com/roles': ['admin'], https: { '': { 'example.com': { roles: ['x'] } } } }, 'https://example.com/roles'), ['admin']);
  });
});

describe('authorization settings', () => {
  const claimOf = (env: Record<string, string>) => {
    const { issuers } = loadConfig(env);
    return Array.isArray(issuers) ? issuers[0]!.permissionsClaim : issuers.settings.permissionsClaim;
  };

  it('default to the permissions claim and allow-by-default', () => {
    assert.equal(claimOf({}), 'permissions');
    assert.equal(loadConfig({}).denyByDefault, false);
  });

  it('read PERMISSIONS_CLAIM, a name or a pointer, and AUTHZ_DEFAULT', () => {
    assert.equal(claimOf({ PERMISSIONS_CLAIM: 'scope' }), 'scope');
    assert.equal(claimOf({ PERMISSIONS_CLAIM: '/realm_access/roles' }), '/realm_access/roles');
    assert.equal(claimOf({ PERMISSIONS_CLAIM: 'https://example.com/roles' }), 'https://example.com/roles');
    assert.equal(loadConfig({ AUTHZ_DEFAULT: 'deny' }).denyByDefault, true);
  });

  const bad = [
    ['PERMISSIONS_CLAIM', 'permissions scope'],
    ['PERMISSIONS_CLAIM', '/realm_access/~2roles'],
    ['PERMISSIONS_CLAIM', '/constructor/name'],
    ['PERMISSIONS_CLAIM', '/permissions/__proto__'],
    ['AUTHZ_DEFAULT', 'strict'],
  ];
  for (const [variable, value] of bad) {
    it(`name ${variable} when it is "${value}"`, () => {
      assert.throws(() => loadConfig({ [variable!]: value! }), (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes('\n'));
    });
  }
});
