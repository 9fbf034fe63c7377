import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ADMIN, startHarness, type Harness } from '../helpers/harness.js';
import type { KeySetFault } from '../../support/key-set-server.js';

const UNAVAILABLE = { message: 'Unable to verify credentials', extensions: { code: 'AUTH_UNAVAILABLE' } };

describe('an identity provider that cannot be reached', () => {
  let h: Harness;
  before(async () => {
    // The token cache is off so that every request goes to the key set.
    h = await startHarness({ TOKEN_CACHE_SIZE: '0' });
  });
  after(() => h.close());
  beforeEach(() => {
    h.idp.fault = 'ok';
  });

  // `status-203-with-keys`: a valid key set in an answer other than 200 is not trusted either.
  const faults: KeySetFault[] = ['hang', 'status-500', 'status-203-with-keys', 'html', 'empty-object', 'null-keys', 'redirect', 'garbage'];
  for (const fault of faults) {
    // A key set that hangs is answered only because the fetch is abandoned after JWKS_TIMEOUT_MS
    // (500 ms in the harness); without that the request would wait until this test's timeout.
    it(`answers 503 when the key set is ${fault}, keeps serving the anonymous, and recovers`, { timeout: 15_000 }, async () => {
      const fresh = await startHarness({ TOKEN_CACHE_SIZE: '0' }, { fault });
      try {
        const token = await fresh.token({ permissions: [ADMIN] });
        const denied = await fresh.graphql('{ adminMessage { text } }', token);
        assert.equal(denied.status, 503);
        assert.deepEqual(denied.body, { errors: [UNAVAILABLE] });

        const anonymous = await fresh.graphql('{ publicMessage { text } }');
        assert.deepEqual(anonymous.body.data, { publicMessage: { text: 'This is a public message.' } });

        fresh.idp.fault = 'ok';
        const recovered = await fresh.graphql('{ adminMessage { text } }', token);
        assert.deepEqual(recovered.body.data, { adminMessage: { text: 'This is an admin message.' } });
      } finally {
        await fresh.close();
      }
    });
  }

  it('keeps verifying with keys fetched before an outage', async () => {
    const token = await h.token({ permissions: [ADMIN] });
    assert.equal((await h.graphql('{ adminMessage { text } }', token)).status, 200);
    h.idp.fault = 'status-500';
    const during = await h.graphql('{ adminMessage { text } }', token);
    assert.deepEqual(during.body.data, { adminMessage: { text: 'This is an admin message.' } });
  });

  it('accepts a newly published key after one refetch', async () => {
    await h.graphql('{ protectedMessage { text } }', await h.token());
    const before = h.idp.fetches;
    const rotated = await h.idp.publish('test-key-2');
    const { body } = await h.graphql('{ protectedMessage { text } }', await h.token({}, rotated));
    assert.deepEqual(body.data, { protectedMessage: { text: 'This is a protected message.' } });
    assert.equal(h.idp.fetches - before, 1);
  });
});

describe('/readyz during an outage', () => {
  // A long retry pause, so that readiness cannot come from "a fetch may be tried now".
  const PAUSED = { JWKS_RETRY_AFTER_FAILURE_MS: '60000' };

  it('stays 200 while keys are cached and the provider fails', async () => {
    const h = await startHarness(PAUSED);
    try {
      await h.app.verifier.issuers[0]!.keySet.refresh();
      h.idp.fault = 'status-500';
      await assert.rejects(h.app.verifier.issuers[0]!.keySet.refresh());
      assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    } finally {
      await h.close();
    }
  });

  it('is 503 while no key was ever fetched and the provider fails', async () => {
    const h = await startHarness(PAUSED, { fault: 'status-500' });
    try {
      await assert.rejects(h.app.verifier.issuers[0]!.keySet.refresh());
      assert.equal((await fetch(`${h.url}/readyz`)).status, 503);
    } finally {
      await h.close();
    }
  });
});

describe('a server started while the identity provider is down', () => {
  it('starts, serves the anonymous, and verifies tokens once the provider is back', async () => {
    const h = await startHarness({}, { fault: 'status-500' });
    try {
      assert.equal((await h.graphql('{ publicMessage { text } }')).status, 200);
      h.idp.fault = 'ok';
      const { body } = await h.graphql('{ protectedMessage { text } }', await h.token());
      assert.deepEqual(body.data, { protectedMessage: { text: 'This is a protected message.' } });
    } finally {
      await h.close();
    }
  });
});
