import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIENCE } from '../helpers/harness.js';
import { KeySetServer, sign } from '../../support/key-set-server.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';
import { freePort } from '../../support/free-port.js';
import { logLine } from '../helpers/process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/until.js';

/**
 * Two instances of the built server behind nginx (deploy/nginx.conf), counting in one Redis: a
 * caller gets exactly its quota in a window, however nginx spreads its requests. Run by
 * `npm run test:cluster`, which builds first.
 */
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const CWD = mkdtempSync(join(tmpdir(), 'cluster-rate-limits-'));
const QUOTA = 50;
/** Long enough that no window ends during a test. */
const WINDOW_S = 600;
/** Requests per caller: three times the quota, from this many concurrent workers. */
const SENT = 3 * QUOTA;
const WORKERS = 8;

interface Instance {
  child: ChildProcess;
  /** Status codes of the requests this process answered, from its request log. */
  statuses: number[];
}

async function startInstance(port: number, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const statuses: number[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/"url":"\/(?:graphql|api\/messages\/public)"\},"res":\{"statusCode":(\d+)\}/g)) statuses.push(Number(match[1]));
  });
  await logLine(child, /listening/);
  for (let attempt = 0; !(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)); attempt += 1) {
    if (attempt > 100) throw new Error(`instance on ${port} never became ready`);
    await sleep(100);
  }
  return { child, statuses };
}

/** Sends `SENT` requests from `WORKERS` concurrent loops; the status of each. */
async function burst(send: (i: number) => Promise<Response>): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < SENT; i = next++) {
      const response = await send(i);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return statuses;
}

const tally = (statuses: readonly number[]) => statuses.reduce<Record<number, number>>((counts, s) => ({ ...counts, [s]: (counts[s] ?? 0) + 1 }), {});

describe('rate limits across replicas (Redis, nginx)', () => {
  let redis: RedisServer;
  let idp: KeySetServer;
  let nginx: Nginx;
  let instances: Instance[] = [];
  let token: string;

  before(async () => {
    redis = await RedisServer.start();
    idp = await KeySetServer.start();
    const signingKey = await idp.publish('cluster-rate-limit-key');
    const ports = [await freePort(), await freePort()];
    nginx = await startNginx(ports);
    const env = {
      AUTH0_ISSUER_BASE_URL: idp.issuer,
      AUTH0_AUDIENCE: AUDIENCE,
      REDIS_URL: redis.url,
      RATE_LIMIT: `${QUOTA}/${WINDOW_S}`,
      RATE_LIMIT_ANONYMOUS: `${QUOTA}/${WINDOW_S}`,
      // nginx on loopback is the proxy; the client's own address comes from its X-Forwarded-For.
      TRUSTED_PROXIES: 'loopback',
    };
    instances = await Promise.all(ports.map((port) => startInstance(port, env)));
    // nginx's start-up probe found no instance and set both aside for `fail_timeout`; wait that out.
    for (let attempt = 0; !(await fetch(`${nginx.url}/readyz`).then((r) => r.ok, () => false)); attempt += 1) {
      if (attempt > 150) throw new Error(`nginx never reached an instance:\n${nginx.errorLog()}`);
      await sleep(100);
    }
    const now = Math.floor(Date.now() / 1000);
    token = await sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'auth0|cluster', iat: now, exp: now + 600 }, { key: signingKey });
  });
  after(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await nginx?.stop();
    await idp?.close();
    await redis?.stop();
  });

  /** Waits for every answered request's log line, then reads and clears each instance's statuses. */
  async function answeredPerInstance(total: number): Promise<Array<Record<number, number>>> {
    await until(() => instances.reduce((sum, instance) => sum + instance.statuses.length, 0) >= total, 'every request logged', 10_000);
    return instances.map((instance) => tally(instance.statuses.splice(0)));
  }

  it('allows one token holder exactly its quota, whichever replica answers', async (t) => {
    const statuses = await burst(() =>
      fetch(`${nginx.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ protectedMessage { text } }' }),
      }),
    );
    const perInstance = await answeredPerInstance(SENT);
    t.diagnostic(`token holder, quota ${QUOTA}: sent ${SENT}, answered ${JSON.stringify(tally(statuses))}; per instance ${JSON.stringify(perInstance)}`);
    assert.deepEqual(tally(statuses), { 200: QUOTA, 429: SENT - QUOTA });
    assert.ok(perInstance.every((counts) => (counts[200] ?? 0) > 0), 'both instances granted requests');
  });

  it('allows one anonymous client address exactly its quota over GraphQL and REST, whichever replica answers', async (t) => {
    const client = { 'x-forwarded-for': '203.0.113.50' };
    const statuses = await burst((i) =>
      i % 2 === 0
        ? fetch(`${nginx.url}/api/messages/public`, { headers: client })
        : fetch(`${nginx.url}/graphql`, { method: 'POST', headers: { ...client, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ publicMessage { text } }' }) }),
    );
    const perInstance = await answeredPerInstance(SENT);
    t.diagnostic(`anonymous address, quota ${QUOTA}: sent ${SENT}, answered ${JSON.stringify(tally(statuses))}; per instance ${JSON.stringify(perInstance)}`);
    assert.deepEqual(tally(statuses), { 200: QUOTA, 429: SENT - QUOTA });
    assert.ok(perInstance.every((counts) => (counts[200] ?? 0) > 0), 'both instances granted requests');
    // Another address behind the same proxy has its own quota.
    assert.equal((await fetch(`${nginx.url}/api/messages/public`, { headers: { 'x-forwarded-for': '203.0.113.51' } })).status, 200);
  });
});
