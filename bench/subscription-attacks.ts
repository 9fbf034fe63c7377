import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import type { KeySetServer } from '../support/key-set-server.js';
import { projectEnv } from './contenders.js';
import { startProject, type ServerProcess } from './processes.js';
import { cpuSeconds, rssBytes } from './system.js';

/** The attacks of issue 21's findings 2–4, as the review ran them, each bounded. */
export interface AttackOptions {
  /** Bytes of the one anonymous `connection_init` (finding 2). */
  frameBytes: number;
  /** `subscribe` messages on one anonymous socket (finding 3). */
  subscriptions: number;
  /** Anonymous sockets that never subscribe (finding 4). */
  idleSockets: number;
  /** How long each attack is watched, in milliseconds. */
  watchMs: number;
}

/**
 * `/healthz` every 100 ms from a worker thread, so that the attacking client's own work (framing
 * 90 MB, say) cannot delay the probes: the slowest answer, and how many got none.
 */
const PROBE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.once('message', () => (stop = true));
(async () => {
  let maxMs = 0, failed = 0, probes = 0;
  const until = performance.now() + workerData.watchMs;
  while (performance.now() < until || !stop) {
    const started = performance.now();
    probes += 1;
    try {
      const response = await fetch(workerData.url + '/healthz', { signal: AbortSignal.timeout(5000), headers: { connection: 'close' } });
      await response.arrayBuffer();
      if (response.status !== 200) failed += 1;
    } catch {
      failed += 1;
    }
    maxMs = Math.max(maxMs, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  parentPort.postMessage({ maxMs, failed, probes });
})();
`;

async function probeDuring(url: string, attack: Promise<unknown>, watchMs: number): Promise<{ maxMs: number; failed: number; probes: number }> {
  const worker = new Worker(PROBE_WORKER, { eval: true, workerData: { url, watchMs } });
  const result = once(worker, 'message');
  await attack;
  worker.postMessage('stop');
  const [stats] = (await result) as [{ maxMs: number; failed: number; probes: number }];
  await worker.terminate();
  return stats;
}

async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  ws.on('error', () => undefined);
  await once(ws, 'open');
  return ws;
}

async function acknowledged(url: string): Promise<WebSocket> {
  const ws = await openSocket(url);
  ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await once(ws, 'message');
  return ws;
}

const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`);

async function measure(name: string, project: ServerProcess, watchMs: number, attack: () => Promise<unknown>): Promise<void> {
  const rssBefore = rssBytes(project.pid);
  const cpuBefore = cpuSeconds(project.pid);
  let rssPeak = rssBefore ?? 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(project.pid) ?? 0)), 50);
  const health = await probeDuring(project.url, attack(), watchMs);
  clearInterval(sampler);
  const cpu = cpuSeconds(project.pid) - cpuBefore;
  console.log(
    `${name}: RSS ${mb(rssBefore)} before, peak ${mb(rssPeak)}, ${mb(rssBytes(project.pid))} after; server CPU ${cpu.toFixed(2)} s in ${(watchMs / 1000).toFixed(0)} s; ` +
      `/healthz slowest ${health.maxMs.toFixed(0)} ms, ${health.failed} of ${health.probes} unanswered`,
  );
}

/**
 * `npm run bench -- --attacks`: the subscription attacks of issue 21 against the built server in
 * production, each in a fresh process, with the server's RSS and CPU and `/healthz`'s latency.
 */
export async function runSubscriptionAttacks(idp: KeySetServer, options: AttackOptions): Promise<void> {
  const run = async (name: string, attack: (url: string) => Promise<unknown>) => {
    const project = await startProject(projectEnv(idp.issuer));
    try {
      await measure(name, project, options.watchMs, () => attack(project.url));
    } finally {
      await project.stop();
    }
  };

  await run(`one ${mb(options.frameBytes)} connection_init (finding 2)`, async (url) => {
    const ws = await openSocket(url);
    const closed = once(ws, 'close');
    ws.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(options.frameBytes) } }));
    const [code] = (await closed) as [number];
    console.log(`  the socket closed with ${code}`);
  });

  await run(`${options.subscriptions.toLocaleString('en-US')} subscriptions on one socket (finding 3)`, async (url) => {
    const ws = await acknowledged(url);
    const counts = new Map<string, number>();
    ws.on('message', (data) => {
      const type = String((JSON.parse(String(data)) as { type: string }).type);
      counts.set(type, (counts.get(type) ?? 0) + 1);
    });
    for (let id = 0; id < options.subscriptions; id += 1) {
      ws.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: 'subscription { publicMessageFeed { text } }' } }));
    }
    await sleep(options.watchMs);
    console.log(`  messages received: ${JSON.stringify(Object.fromEntries(counts))}`);
    ws.terminate();
  });

  await run(`${options.idleSockets.toLocaleString('en-US')} idle sockets (finding 4)`, async (url) => {
    const sockets = await Promise.all(Array.from({ length: options.idleSockets }, () => acknowledged(url).catch(() => undefined)));
    console.log(`  sockets opened: ${sockets.filter(Boolean).length}`);
    await sleep(options.watchMs);
    for (const ws of sockets) ws?.terminate();
  });
}
