import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, AUDIENCE, startHarness, type Harness } from '../helpers/harness.js';

/**
 * The `permissions` claim of an otherwise valid token. Whatever its shape, the token still
 * authenticates (protectedMessage resolves), and adminMessage resolves only for an array of
 * strings, or a space-separated string, containing exactly `read:admin-messages`. The one home of near misses over HTTP; the REST
 * mirror reuses the same guard, and rest.test.ts checks only the status it gives a denial.
 */
const QUERY = '{ protectedMessage { text } adminMessage { text } }';
const PROTECTED = { text: 'This is a protected message.' };

describe('the permissions claim', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  async function expectForbidden(claims: Record<string, unknown>) {
    const { status, body } = await h.graphql(QUERY, await h.token(claims));
    assert.equal(status, 200);
    assert.deepEqual(body.data, { protectedMessage: PROTECTED, adminMessage: null });
    assert.deepEqual(body.errors?.map((e) => [e.path, e.extensions?.['code']]), [[['adminMessage'], 'FORBIDDEN']]);
  }

  describe('a claim of the wrong shape grants nothing, and is never a 5xx', () => {
    const shapes: Record<string, unknown> = {
      'missing': undefined,
      'null': null,
      'true': true,
      'a number': 7,
      'an object keyed by the permission': { [ADMIN]: true },
      'an empty object': {},
      'an array-like object': { length: 1, 0: ADMIN },
      'a comma-separated string': `${ADMIN},read:messages`,
      'an empty array': [],
      'the permission next to null': [ADMIN, null],
      'the permission next to an object': [{ name: ADMIN }, ADMIN],
      'the permission next to a number': [ADMIN, 1],
      'the permission in a nested array': [[ADMIN]],
      'a long array without it': Array.from({ length: 250 }, (_, i) => `read:thing-${i}`),
    };
    for (const [name, permissions] of Object.entries(shapes)) {
      it(name, () => expectForbidden({ permissions }));
    }
  });

  describe('matching is exact and case-sensitive', () => {
    const nearMisses = [
      'READ:ADMIN-MESSAGES',
      'Read:Admin-Messages',
      `${ADMIN} `,
      ` ${ADMIN}`,
      'read:admin-message',
      `${ADMIN}-extra`,
      'read:*',
      '*',
      `${ADMIN}\u0000`,
      'read:adm\u0456n-messages', // Cyrillic і
      'read:admin\u2010messages', // Unicode hyphen
    ];
    for (const permission of nearMisses) {
      it(JSON.stringify(permission), () => expectForbidden({ permissions: [permission] }));
    }
  });

  describe('other claims grant nothing', () => {
    it('the permission in `scope`', () => expectForbidden({ scope: ADMIN }));
    it('the permission in a namespaced claim', () => expectForbidden({ [`${AUDIENCE}/permissions`]: [ADMIN] }));
    it('the permission in `roles`', () => expectForbidden({ roles: [ADMIN] }));
  });

  it('grants the field when the permission is anywhere in the array or the space-separated string, repeated or not', async () => {
    for (const permissions of [['read:messages', ADMIN], [ADMIN, ADMIN], ADMIN, `read:messages ${ADMIN}`]) {
      const { body } = await h.graphql(QUERY, await h.token({ permissions }));
      assert.deepEqual(body.data, { protectedMessage: PROTECTED, adminMessage: { text: 'This is an admin message.' } });
    }
  });
});
