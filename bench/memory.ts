import { createDpopKey, createProof, type DpopKey } from '../src/dev/dpop-proof.js';
import type { KeySetServer } from '../support/key-set-server.js';
import { graphqlQuery, projectEnv, type MintToken } from './contenders.js';
import { load } from './load.js';
import { startProject } from './processes.js';
import { rssBytes } from './system.js';

export interface MemoryCheckOptions {
  /** Distinct valid tokens, each with its own `sub`; far more than the token cache holds. */
  tokens: number;
  /** Requests in all, each with the next token in turn. */
  requests: number;
  /** Requests after which the heap has reached its working size: growth is measured from here. */
  plateauRequests: number;
  connections: number;
  /** Which paths to run, each in a fresh process: `bearer`, `dpop` or both. */
  paths: ReadonlyArray<'bearer' | 'dpop'>;
}

/** RSS may grow by at most this much from the plateau to the end, as the issue sets it. */
const MAX_GROWTH_BYTES = 5 * 1024 * 1024;
/** Signed at once; WebCrypto signs on libuv's thread pool, so batches use every core. */
const SIGNING_BATCH = 256;
/**
 * Requests per load run. DPoP proofs are signed for one run at a time, so that none is too old
 * when sent: 1,000 proofs outlive their run down to 50 req/s (5,000 did not, on a swamped VM).
 */
const CHUNK = 1_000;
/** RSS is printed after every this many requests, to show the curve. */
const REPORT_EVERY = 100_000;
/** DPoP keys the tokens are bound to, round-robin: more than the 1,000 proof keys a process keeps imported, so that cache turns over too. */
const DPOP_KEYS = 2_000;
/**
 * The replay store keeps every proof for its `iat` window by design, so it grows with throughput
 * times that window (330 s by default, more than the whole run). A 20 s window lets it reach its
 * working size long before the plateau.
 */
const DPOP_WINDOW = { DPOP_IAT_MAX_AGE_S: '20', DPOP_IAT_MAX_AHEAD_S: '0' };

/** One way of calling `adminMessage`: the headers for requests `offset` to `offset + count - 1`. */
interface MemoryPath {
  name: string;
  env: Record<string, string>;
  headers(url: string, offset: number, count: number): Promise<Record<string, string>[]>;
}

async function inBatches<T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  while (made.length < count) {
    const batch = Math.min(SIGNING_BATCH, count - made.length);
    made.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => make(made.length + i)))));
  }
  return made;
}

async function bearerPath(mint: MintToken, count: number): Promise<MemoryPath> {
  const tokens = await inBatches(count, (i) => mint({ sub: `auth0|bench-${i}` }));
  return {
    name: 'Bearer',
    env: {},
    headers: async (_url, offset, n) => Array.from({ length: n }, (_, i) => ({ authorization: `Bearer ${tokens[(offset + i) % count]}` })),
  };
}

async function dpopPath(mint: MintToken, count: number): Promise<MemoryPath> {
  const keys: DpopKey[] = await inBatches(DPOP_KEYS, () => createDpopKey());
  const keyOf = (i: number) => keys[i % DPOP_KEYS]!;
  const tokens = await inBatches(count, (i) => mint({ sub: `auth0|bench-${i}`, cnf: { jkt: keyOf(i).thumbprint } }));
  return {
    name: 'DPoP',
    env: DPOP_WINDOW,
    headers: (url, offset, n) =>
      inBatches(n, async (i) => {
        const t = (offset + i) % count;
        const dpop = await createProof(keyOf(t), { method: 'POST', url, accessToken: tokens[t]! });
        return { authorization: `DPoP ${tokens[t]}`, dpop };
      }),
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const formatCount = (n: number) => n.toLocaleString('en-US');

/** Runs one path in a fresh process; resolves to its growth from the plateau to the end, in bytes. */
async function measure(idp: KeySetServer, path: MemoryPath, { requests, plateauRequests, connections }: MemoryCheckOptions): Promise<number> {
  const project = await startProject(projectEnv(idp.issuer, path.env));
  try {
    const rss = () => {
      const bytes = rssBytes(project.pid);
      if (bytes === undefined) throw new Error('RSS can only be read from /proc, on Linux');
      return bytes;
    };
    const query = graphqlQuery(project.url, 'adminMessage');
    console.log(`${path.name}: RSS at start ${mb(rss())}`);
    let sent = 0;
    let atPlateau = 0;
    let since = { at: performance.now(), sent: 0 };
    while (sent < requests) {
      const amount = Math.min(CHUNK, requests - sent);
      const offset = sent;
      await load({ ...query, perRequestHeaders: (n) => path.headers(query.url, offset, n) }, { connections, amount });
      sent += amount;
      if (sent === plateauRequests) atPlateau = rss();
      if (sent % REPORT_EVERY === 0 || sent === plateauRequests || sent === requests) {
        const rate = ((sent - since.sent) / (performance.now() - since.at)) * 1000;
        console.log(`${path.name}: after ${formatCount(sent)} requests RSS ${mb(rss())} (${Math.round(rate)} req/s since the last line, preparing the headers included)`);
        since = { at: performance.now(), sent };
      }
    }
    return rss() - atPlateau;
  } finally {
    await project.stop();
  }
}

/**
 * `npm run bench -- --memory`: does memory stay bounded when many distinct tokens (and, on the
 * DPoP path, many proof keys) go through the caches? On each path, in a fresh process, RSS at
 * the end minus RSS at the plateau, which the heap reaches well before it.
 */
export async function runMemoryCheck(idp: KeySetServer, mint: MintToken, options: MemoryCheckOptions): Promise<void> {
  if (options.plateauRequests % CHUNK !== 0 || options.plateauRequests >= options.requests) {
    throw new Error(`the plateau must be a multiple of ${CHUNK} requests, below the total`);
  }
  const lines: string[] = [];
  for (const makePath of options.paths.map((name) => ({ bearer: bearerPath, dpop: dpopPath })[name])) {
    console.log(`Signing ${formatCount(options.tokens)} distinct tokens...`);
    const path = await makePath(mint, options.tokens);
    const growth = await measure(idp, path, options);
    const met = growth <= MAX_GROWTH_BYTES;
    lines.push(`${path.name}: growth from ${formatCount(options.plateauRequests)} to ${formatCount(options.requests)} requests ${mb(growth)} (target ≤ ${mb(MAX_GROWTH_BYTES)}): ${met ? 'met' : 'MISSED'}`);
    if (!met) process.exitCode = 1;
  }
  console.log(lines.join('\n'));
}
