import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { App } from '../../src/http/app.js';

/**
 * Serves the app's metrics handler on a loopback port of its own, as `main` does on
 * `METRICS_PORT`, and reads it as Prometheus would.
 */
export async function startMetricsListener(app: App): Promise<{ url: string; scrape(): Promise<Exposition>; close(): Promise<void> }> {
  assertDefined(app.metricsHandler, 'metrics are on (METRICS_PORT set)');
  const server = createServer(app.metricsHandler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async scrape() {
      const response = await fetch(`${url}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return new Exposition(await response.text());
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** One scrape, in Prometheus's text format. */
export class Exposition {
  constructor(readonly text: string) {}

  /** The value of the counter or gauge series with exactly these labels; 0 when it is not there. */
  value(name: string, labels: Record<string, string> = {}): number {
    const family = parsePrometheusTextFormat(this.text).find((candidate) => candidate.name === name);
    const wanted = JSON.stringify(Object.entries(labels).sort());
    const sample = family?.metrics.find((metric) => JSON.stringify(Object.entries(metric.labels ?? {}).sort()) === wanted);
    return Number(sample?.value ?? 0);
  }

  /**
   * Every series as exposed, name and label set, without its value: what Prometheus stores one
   * time series for. The parser above drops a histogram's labels, so these are read off the lines.
   */
  series(): Set<string> {
    const lines = this.text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    return new Set(lines.map((line) => line.slice(0, line.lastIndexOf(' '))));
  }
}

function assertDefined<T>(value: T | undefined, what: string): asserts value is T {
  if (value === undefined) throw new Error(`expected ${what}`);
}
