/**
 * `npm run token -- [--permissions a,b] [--dpop] [--issuer n]`: prints, as the last line, an access
 * token that the server on PORT (default 6060) accepts, taken from its embedded development issuer
 * (the n-th, from 1, when it was started with DEV_ISSUERS=2). With
 * `--dpop` the token is bound to a fresh ES256 key, printed first as a private JWK for
 * `npm run dpop-proof`.
 */
import { parseArgs } from 'node:util';
import { exportJWK } from 'jose';
import { loadConfigFromProcess } from '../src/config.js';
import { createDpopKey } from '../src/dev/dpop-proof.js';

const { values } = parseArgs({
  options: { permissions: { type: 'string', default: '' }, dpop: { type: 'boolean', default: false }, issuer: { type: 'string', default: '1' } },
});
const { port } = loadConfigFromProcess();
const key = values.dpop ? await createDpopKey() : undefined;
const url = new URL(`http://127.0.0.1:${port}/dev/token`);
url.searchParams.set('permissions', values.permissions);
url.searchParams.set('issuer', values.issuer);
if (key) url.searchParams.set('jkt', key.thumbprint);

// A timer of our own, not AbortSignal.timeout's unref'd one: a fetch whose connection is reset can
// be left unsettled, and the process must then fail with advice rather than exit silently (code 13).
const timeout = new AbortController();
const timer = setTimeout(() => timeout.abort(new Error('no answer within 5 s')), 5_000);
try {
  const response = await fetch(url, { signal: timeout.signal });
  if (!response.ok) {
    const answer = `HTTP ${response.status}: ${await response.text()}`;
    if (response.status !== 400) throw new Error(answer);
    // The development server refused the arguments (an --issuer it does not run, say): no advice to start it.
    process.stderr.write(`Cannot get a token from ${url.href}: ${answer}\n`);
    process.exit(1);
  }
  const { access_token } = (await response.json()) as { access_token: string };
  if (key) process.stdout.write(`${JSON.stringify(await exportJWK(key.privateKey))}\n`);
  process.stdout.write(`${access_token}\n`);
} catch (error) {
  process.stderr.write(
    `Cannot get a token from ${url.href}: ${String(error)}\n` +
      'Start the server first (npm start) without AUTH0_DOMAIN, so that it runs its embedded development issuer.\n',
  );
  process.exit(1);
} finally {
  clearTimeout(timer);
}
