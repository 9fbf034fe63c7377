import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authChallenge, authFailureError, challengeOptionsOf } from '../../src/errors.js';

const algs = ['ES256', 'EdDSA'];

describe('RFC 9449 §7.1 challenges', () => {
  it('offers Bearer then DPoP, the error on the scheme the request used', () => {
    assert.equal(authChallenge({ scheme: 'bearer', dpopAlgorithms: algs, bearerAccepted: true }), 'Bearer realm="api", DPoP algs="ES256 EdDSA"');
    assert.equal(
      authChallenge({ scheme: 'bearer', dpopAlgorithms: algs, bearerAccepted: true }, 'invalid_token'),
      'Bearer realm="api", error="invalid_token", DPoP algs="ES256 EdDSA"',
    );
    assert.equal(
      authChallenge({ scheme: 'dpop', dpopAlgorithms: algs, bearerAccepted: true }, 'invalid_dpop_proof'),
      'Bearer realm="api", DPoP algs="ES256 EdDSA", error="invalid_dpop_proof"',
    );
  });

  it('offers DPoP alone when Bearer is refused, with a Bearer request\'s error on it', () => {
    assert.equal(authChallenge({ scheme: 'bearer', dpopAlgorithms: algs, bearerAccepted: false }, 'invalid_token'), 'DPoP algs="ES256 EdDSA", error="invalid_token"');
    assert.equal(authChallenge({ scheme: 'dpop', dpopAlgorithms: algs, bearerAccepted: false }), 'DPoP algs="ES256 EdDSA"');
  });

  it('sends the nonce as DPoP-Nonce, with 401; and 503 with Retry-After and no challenge when unavailable', () => {
    const nonce = authFailureError('use_dpop_nonce', { scheme: 'dpop', dpopAlgorithms: algs, bearerAccepted: true, nonce: 'n1' });
    const http = nonce.extensions['http'] as { status: number; headers: Map<string, string> };
    assert.equal(http.status, 401);
    assert.equal(http.headers.get('dpop-nonce'), 'n1');
    assert.equal(http.headers.get('www-authenticate'), 'Bearer realm="api", DPoP algs="ES256 EdDSA", error="use_dpop_nonce"');
    const down = authFailureError('unavailable', { scheme: 'dpop', dpopAlgorithms: algs, bearerAccepted: true });
    const downHttp = down.extensions['http'] as { status: number; headers: Map<string, string> };
    assert.equal(downHttp.status, 503);
    assert.equal(down.message, 'Unable to verify credentials');
    assert.equal(downHttp.headers.get('www-authenticate'), undefined);
    assert.equal(downHttp.headers.get('dpop-nonce'), undefined);
    assert.equal(downHttp.headers.get('retry-after'), '5');
  });

  it('builds every failure\'s challenge from the same options, DPoP alone under DPOP_REQUIRED', () => {
    const required = challengeOptionsOf({ algorithms: algs, required: true });
    assert.deepEqual(required, { scheme: 'bearer', dpopAlgorithms: algs, bearerAccepted: false });
    const challenges = (['invalid_token', 'invalid_request', 'bad_request', 'invalid_dpop_proof'] as const).map(
      (failure) => (authFailureError(failure, required).extensions['http'] as { headers: Map<string, string> }).headers.get('www-authenticate'),
    );
    assert.deepEqual(challenges, ['invalid_token', 'invalid_request', 'invalid_request', 'invalid_dpop_proof'].map((error) => `DPoP algs="ES256 EdDSA", error="${error}"`));
  });
});
