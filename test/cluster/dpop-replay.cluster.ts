import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dpopCredentials } from '../../src/dev/dpop-proof.js';
import { postGraphql } from '../helpers/dpop.js';
import { ADMIN, AUDIENCE } from '../helpers/harness.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';
import { freePort } from '../../support/free-port.js';
import { logLine } from '../helpers/process.js';
import { RedisServer } from '../helpers/redis-server.js';

/**
 * Two instances of the built server behind nginx, sharing one Redis for DPoP proofs: a proof
 * accepted by one replica is refused by the other. Run by `npm run test:cluster`, which builds first.
 */
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const CWD = mkdtempSync(join(tmpdir(), 'cluster-dpop-'));
const ADMIN_BODY = { data: { adminMessage: { text: 'This is an admin message.' } } };

async function startInstance(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await logLine(child, /listening/);
  for (let attempt = 0; !(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)); attempt += 1) {
    if (attempt > 100) throw new Error(`instance on ${port} never became ready`);
    await sleep(100);
  }
  return child;
}

describe('DPoP replay protection across replicas (Redis, nginx)', () => {
  let redis: RedisServer;
  let idp: KeySetServer;
  let nginx: Nginx;
  let instances: ChildProcess[] = [];
  let ports: number[] = [];
  let token: string;
  let proof: () => Promise<string>;

  before(async () => {
    redis = await RedisServer.start();
    idp = await KeySetServer.start();
    const signingKey = await idp.publish('cluster-dpop-key');
    ports = [await freePort(), await freePort()];
    nginx = await startNginx(ports);
    const env = { AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: AUDIENCE, REDIS_URL: redis.url, PUBLIC_URL: nginx.url };
    instances = await Promise.all(ports.map((port) => startInstance(port, env)));
    // nginx's start-up probe found no instance and set both aside for `fail_timeout`; wait that out.
    for (let attempt = 0; !(await fetch(`${nginx.url}/readyz`).then((r) => r.ok, () => false)); attempt += 1) {
      if (attempt > 150) throw new Error(`nginx never reached an instance:\n${nginx.errorLog()}`);
      await sleep(100);
    }
    ({ accessToken: token, nextProof: proof } = await dpopCredentials(
      (jkt) => idp.accessToken(signingKey, { sub: 'auth0|dpop', permissions: [ADMIN], cnf: { jkt } }, { audience: AUDIENCE }),
      { method: 'POST', url: `${nginx.url}/graphql` },
    ));
  });
  after(async () => {
    for (const child of instances) child.kill('SIGKILL');
    await nginx?.stop();
    await idp?.close();
    await redis?.stop();
  });

  // Every request names the origin clients call (PUBLIC_URL), as a proxy passing the client's Host does.
  const send = async (base: string, dpop: string) => {
    const { status, body } = await postGraphql({ url: base }, { token, proofs: [dpop], host: new URL(nginx.url).host });
    return { status, body: body as unknown };
  };

  it('grants one proof sent to both replicas exactly once, one after the other and at once', async () => {
    const [a, b] = ports.map((port) => `http://127.0.0.1:${port}`) as [string, string];
    const first = await proof();
    assert.deepEqual(await send(a, first), { status: 200, body: ADMIN_BODY });
    assert.equal((await send(b, first)).status, 401);

    for (let round = 0; round < 20; round += 1) {
      const shared = await proof();
      const answers = await Promise.all([send(a, shared), send(b, shared)]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401], `round ${round}`);
    }
  });

  it('through nginx, grants each fresh proof and refuses each replay, whichever replica answers', async () => {
    for (let round = 0; round < 20; round += 1) {
      const dpop = await proof();
      const answers = await Promise.all([send(nginx.url, dpop), send(nginx.url, dpop), send(nginx.url, dpop)]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401, 401], `round ${round}`);
    }
  });
});
