import type { KeySetServer } from '../support/key-set-server.js';
import { graphqlQuery, projectEnv } from './contenders.js';
import { load } from './load.js';
import { startProject } from './processes.js';
import { rssBytes } from './system.js';

export interface MemoryCheckOptions {
  /** Distinct valid tokens, each with its own `sub`; far more than the token cache holds. */
  tokens: number;
  /** Requests after the warm-up, each with the next token in turn. */
  requests: number;
  warmupRequests: number;
  connections: number;
}

/** RSS may grow by at most this much between the warm-up and the end, as the issue sets it. */
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;
/** Tokens signed at once; WebCrypto signs on libuv's thread pool, so batches use every core. */
const SIGNING_BATCH = 256;

/**
 * `npm run bench -- --memory`: does memory stay bounded when many distinct tokens go through
 * the verified-token cache? Compares the project's RSS after a warm-up with its RSS after
 * `requests` more requests that rotate through `tokens` distinct valid tokens.
 */
export async function runMemoryCheck(idp: KeySetServer, signToken: (sub: string) => Promise<string>, options: MemoryCheckOptions): Promise<void> {
  const { tokens: count, requests, warmupRequests, connections } = options;
  console.log(`Signing ${count.toLocaleString('en-US')} distinct tokens...`);
  const tokens: string[] = [];
  while (tokens.length < count) {
    const batch = Math.min(SIGNING_BATCH, count - tokens.length);
    tokens.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => signToken(`auth0|bench-${tokens.length + i}`)))));
  }

  const project = await startProject(projectEnv(idp.issuer));
  try {
    const bearers = tokens.map((token) => ({ authorization: `Bearer ${token}` }));
    const target = { ...graphqlQuery(project.url, 'adminMessage'), perRequestHeaders: async () => bearers };
    const atStart = rssBytes(project.pid);
    await load(target, { connections, amount: warmupRequests });
    const afterWarmup = rssBytes(project.pid);
    console.log(`Sending ${requests.toLocaleString('en-US')} requests over ${count.toLocaleString('en-US')} tokens...`);
    const measured = await load(target, { connections, amount: requests });
    const afterRun = rssBytes(project.pid);
    if (atStart === undefined || afterWarmup === undefined || afterRun === undefined) {
      throw new Error('RSS can only be read from /proc, on Linux');
    }
    const growth = afterRun - afterWarmup;
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      [
        `RSS at start ${mb(atStart)}, after ${warmupRequests.toLocaleString('en-US')} warm-up requests ${mb(afterWarmup)}, ` +
          `after ${measured.requests.toLocaleString('en-US')} more ${mb(afterRun)} (${Math.round(measured.requestsPerSecond)} req/s, p99 ${measured.p99} ms)`,
        `Growth after warm-up: ${mb(growth)} (target ≤ ${mb(MAX_GROWTH_BYTES)}): ${growth <= MAX_GROWTH_BYTES ? 'met' : 'MISSED'}`,
      ].join('\n'),
    );
    if (growth > MAX_GROWTH_BYTES) process.exitCode = 1;
  } finally {
    await project.stop();
  }
}
