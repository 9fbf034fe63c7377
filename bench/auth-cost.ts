/**
 * `npm run bench:auth`: what authentication itself costs per request, in process, without HTTP:
 * the real context builder and verifier on a real RS256 token from a loopback key set, with the
 * token cache hit, without a token, and with the cache off (a full jose verification each time).
 */
import { pino } from 'pino';
import { createContextBuilder } from '../src/auth/context.js';
import { createVerifier } from '../src/auth/verifier.js';
import { AUDIENCE } from '../test/helpers/harness.js';
import { KeySetServer } from '../test/helpers/key-set-server.js';
import { adminToken } from './contenders.js';
import { median } from './report.js';

const ROUNDS = 5;
const idp = await KeySetServer.start();
try {
  const token = await adminToken(idp, await idp.publish('bench-key-1'));
  const issuer = { issuer: idp.issuer, jwksUri: new URL('.well-known/jwks.json', idp.issuer), audience: AUDIENCE };
  const cached = createContextBuilder(createVerifier({ ...issuer, cacheSize: 10_000 }));
  const uncached = createContextBuilder(createVerifier({ ...issuer, cacheSize: 0 }));
  const log = pino({ level: 'silent' });
  const request = { method: 'POST', url: '/graphql', rawHeaders: [], log };
  const withToken = { ...request, headers: { authorization: `Bearer ${token}` } };
  const cases = [
    { name: 'valid token, cache hit', run: () => cached(withToken), times: 100_000 },
    { name: 'no token (anonymous)', run: () => cached({ ...request, headers: {} }), times: 100_000 },
    { name: 'valid token, TOKEN_CACHE_SIZE=0', run: () => uncached(withToken), times: 2_000 },
  ];
  for (const { run } of cases) {
    if ((await run()).principal === undefined) throw new Error('no context');
  }
  const micros = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name, run, times } of cases) {
      const start = performance.now();
      for (let i = 0; i < times; i++) await run();
      micros.get(name)!.push(((performance.now() - start) * 1000) / times);
    }
  }
  for (const [name, list] of micros) {
    console.log(`${name.padEnd(34)} ${median(list).toFixed(2).padStart(8)} µs per request (median of ${ROUNDS} rounds)`);
  }
} finally {
  await idp.close();
}
