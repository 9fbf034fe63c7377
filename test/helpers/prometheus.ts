import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { until } from './until.js';

const PROMETHEUS = process.env['PROMETHEUS_PATH'] ?? 'prometheus';

/** One series of an instant query's answer. */
export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * A throwaway Prometheus server (Debian's `prometheus`, which `.ci/run` installs) on loopback,
 * with its own configuration and storage in a temporary directory, scraping `targets` every
 * second. Prometheus cannot listen on port 0, so a free port is found by binding first.
 */
export class PrometheusServer {
  readonly #child: ChildProcess;
  readonly #directory: string;

  private constructor(
    readonly url: string,
    child: ChildProcess,
    directory: string,
  ) {
    this.#child = child;
    this.#directory = directory;
  }

  static async start(targets: readonly string[], job = 'graphql-auth-api'): Promise<PrometheusServer> {
    const directory = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const config = join(directory, 'prometheus.yml');
    writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ${job}\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`);
    const port = await freePort();
    const child = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run ${PROMETHEUS} (${error.message}); install Debian's prometheus, as .ci/run does`)));
      child.once('exit', (code) => reject(new Error(`prometheus exited with ${code}:\n${output}`)));
    });
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, directory);
    const ready = until(async () => (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.status === 200, 'Prometheus to be ready', 60_000);
    try {
      await Promise.race([ready, failed]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** An instant query through the HTTP API (`/api/v1/query`). */
  async query(promql: string): Promise<InstantSample[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      await once(this.#child, 'exit');
    }
    rmSync(this.#directory, { recursive: true, force: true });
  }
}
