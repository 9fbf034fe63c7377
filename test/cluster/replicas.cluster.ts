import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN, AUDIENCE } from '../helpers/harness.js';
import { KeySetServer } from '../../support/key-set-server.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';
import { finished, logLine } from '../helpers/process.js';
import { until } from '../helpers/until.js';

/**
 * Two instances of the built server (`node dist/main.js`, as deployed) behind Debian's nginx with
 * deploy/nginx.conf, under a bounded load of requests whose answers are all checked. One instance
 * is killed outright, then both are restarted one at a time with SIGTERM: no request may fail.
 * Run by `npm run test:cluster`, which builds first.
 */
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const CWD = mkdtempSync(join(tmpdir(), 'cluster-'));
const WORKERS = 8;
/** Safety bounds of one load run; a run normally ends well inside both. */
const MAX_REQUESTS = 40_000;
const MAX_LOAD_MS = 90_000;

interface Instance {
  port: number;
  child: ChildProcess;
  /** Requests this process has answered, from its own request log lines. */
  served(): number;
  exit: ReturnType<typeof finished>;
}

/** Starts an instance on `port`, or on a port the system picks when it is 0. */
async function startInstance(port: number, idp: KeySetServer): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: CWD,
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), NODE_ENV: 'production', AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: AUDIENCE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let served = 0;
  child.stdout?.on('data', (chunk: Buffer) => (served += chunk.toString().split('"msg":"request completed"').length - 1));
  const exit = finished(child);
  const { port: bound } = (await logLine(child, /listening/)) as { port: number };
  for (let attempt = 0; ; attempt += 1) {
    const ready = await fetch(`http://127.0.0.1:${bound}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (attempt > 100) throw new Error(`instance on ${bound} never became ready`);
    await sleep(100);
  }
  return { port: bound, child, served: () => served, exit };
}

interface LoadResult {
  sent: number;
  failures: string[];
}

/** `WORKERS` loops sending checked requests through `url` until stopped or a safety bound is hit. */
function startLoad(url: string, adminToken: string): { stop(): Promise<LoadResult> } {
  const kinds = [
    { token: adminToken, query: '{ adminMessage { text } }', body: { data: { adminMessage: { text: 'This is an admin message.' } } } },
    { token: undefined, query: '{ publicMessage { text } }', body: { data: { publicMessage: { text: 'This is a public message.' } } } },
  ];
  const result: LoadResult = { sent: 0, failures: [] };
  const started = Date.now();
  let stopping = false;
  const worker = async () => {
    while (!stopping && result.sent < MAX_REQUESTS && Date.now() - started < MAX_LOAD_MS) {
      const kind = kinds[result.sent % kinds.length]!;
      result.sent += 1;
      try {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(kind.token ? { authorization: `Bearer ${kind.token}` } : {}) },
          body: JSON.stringify({ query: kind.query }),
          signal: AbortSignal.timeout(20_000),
        });
        const text = await response.text();
        if (response.status !== 200 || !isDeepStrictEqual(JSON.parse(text), kind.body)) result.failures.push(`${response.status} ${text.slice(0, 200)}`);
      } catch (error) {
        result.failures.push(String(error));
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  return {
    async stop() {
      stopping = true;
      await Promise.all(workers);
      return result;
    },
  };
}

describe('two replicas behind nginx', () => {
  let idp: KeySetServer;
  let nginx: Nginx;
  let instances: Instance[];
  let adminToken: string;

  before(async () => {
    assert.ok(existsSync(MAIN), `${MAIN} is missing: run \`npm run build\` first (npm run test:cluster does)`);
    idp = await KeySetServer.start();
    const key = await idp.publish('cluster-key');
    adminToken = await idp.accessToken(key, { sub: 'auth0|load', permissions: [ADMIN] }, { audience: AUDIENCE, lifetimeS: 3600 });
    instances = await Promise.all([0, 0].map((port) => startInstance(port, idp)));
    nginx = await startNginx(instances.map((instance) => instance.port));
  });

  after(async () => {
    await nginx?.stop();
    for (const instance of instances ?? []) instance.child.kill('SIGKILL');
    await idp?.close();
  });

  it('loses no request when one instance is killed with SIGKILL', async (t) => {
    const load = startLoad(nginx.url, adminToken);
    await sleep(1_500);
    const [victim, survivor] = instances as [Instance, Instance];
    assert.ok(victim.served() > 0 && survivor.served() > 0, 'both instances take traffic');
    victim.child.kill('SIGKILL');
    const { code } = await victim.exit;
    await sleep(2_500);
    const { sent, failures } = await load.stop();

    t.diagnostic(`requests: ${sent}, failed: ${failures.length}, killed instance exit code: ${code}, key-set fetches: ${idp.fetches}`);
    assert.deepEqual(failures.slice(0, 5), [], nginx.errorLog());
    assert.ok(sent > 100, `only ${sent} requests were sent`);
    instances[0] = await startInstance(victim.port, idp);
  });

  it('loses no request while each instance in turn is restarted with SIGTERM', async (t) => {
    const load = startLoad(nginx.url, adminToken);
    const exitCodes: Array<number | null> = [];
    for (let i = 0; i < instances.length; i += 1) {
      await sleep(1_000);
      const old = instances[i]!;
      old.child.kill('SIGTERM');
      exitCodes.push((await old.exit).code);
      instances[i] = await startInstance(old.port, idp);
      // As in a real rolling restart, the next instance goes only once the balancer sends traffic
      // to this one again: nginx keeps a failed server out of rotation for its fail_timeout.
      await until(() => instances[i]!.served() > 0, `instance ${i} served`, 15_000);
    }
    await sleep(1_500);
    const { sent, failures } = await load.stop();

    const servedAfterRestart = instances.map((instance) => instance.served());
    t.diagnostic(`requests: ${sent}, failed: ${failures.length}, exit codes: ${exitCodes.join(',')}, served by the restarted instances: ${servedAfterRestart.join(',')}, key-set fetches: ${idp.fetches}`);
    assert.deepEqual(failures.slice(0, 5), [], nginx.errorLog());
    assert.deepEqual(exitCodes, [0, 0], 'each instance drained and exited 0');
    assert.ok(servedAfterRestart.every((n) => n > 0), 'the restarted instances take traffic again');
    assert.ok(sent > 100, `only ${sent} requests were sent`);
  });

  it('reconnects a graphql-ws client to the other instance, streaming again, when its instance is killed', async (t) => {
    const connectedTo = instances.map(() => 0);
    instances.forEach((instance, index) =>
      instance.child.stdout?.on('data', (chunk: Buffer) => (connectedTo[index]! += chunk.toString().split('subscription connection initialised').length - 1)));
    let connections = 0;
    const client = createClient({
      url: `${nginx.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${adminToken}` },
      retryAttempts: 5,
      retryWait: () => sleep(200),
      shouldRetry: () => true,
      on: { connected: () => (connections += 1) },
    });
    const events = client.iterate({ query: 'subscription { adminMessageFeed { text } }' });
    const expected = { data: { adminMessageFeed: { text: 'This is an admin message.' } } };
    assert.deepEqual((await events.next()).value, expected);
    // The instance's log line travels through a pipe, and may arrive after the event.
    await until(() => connectedTo.some((count) => count > 0), 'a subscription connected', 5_000);
    const victim = connectedTo.findIndex((count) => count > 0);
    instances[victim]!.child.kill('SIGKILL');
    await instances[victim]!.exit;
    // Events keep coming, now from the other instance, once the client has reconnected.
    while (connections < 2) assert.deepEqual((await events.next()).value, expected);
    assert.deepEqual((await events.next()).value, expected);
    await until(() => connectedTo[1 - victim]! > 0, 'the subscription reconnected to the survivor', 5_000);
    t.diagnostic(`connections: ${connections}, initialised per instance: ${connectedTo.join(',')}`);
    await events.return?.(undefined);
    await client.dispose();
    instances[victim] = await startInstance(instances[victim]!.port, idp);
  });
});
