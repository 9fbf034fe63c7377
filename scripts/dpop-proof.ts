/**
 * `npm run dpop-proof -- --key '<private JWK>' --token <token> --url <url> [--method GET] [--nonce n]`:
 * prints a DPoP proof for one request, signed with the key `npm run token -- --dpop` printed.
 * Each run makes a new proof, and each proof is accepted once.
 */
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { createProof, dpopKeyFromJwk } from '../src/dev/dpop-proof.js';

const { values } = parseArgs({
  options: {
    key: { type: 'string' },
    token: { type: 'string' },
    url: { type: 'string' },
    method: { type: 'string', default: 'GET' },
    nonce: { type: 'string' },
  },
});
if (!values.key || !values.token || !values.url) {
  process.stderr.write("Usage: npm run dpop-proof -- --key '<private JWK>' --token <access token> --url <url> [--method GET] [--nonce n]\n");
  process.exit(2);
}

try {
  const key = await dpopKeyFromJwk(JSON.parse(values.key) as JWK);
  const target = { method: values.method.toUpperCase(), url: values.url, accessToken: values.token };
  process.stdout.write(`${await createProof(key, values.nonce === undefined ? target : { ...target, nonce: values.nonce })}\n`);
} catch (error) {
  process.stderr.write(`Cannot make a proof: ${String(error)}\n`);
  process.exit(1);
}
