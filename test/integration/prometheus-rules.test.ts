import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startHarness } from '../helpers/harness.js';
import { startMetricsListener } from '../helpers/metrics.js';

const DIRECTORY = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
const run = promisify(execFile);

/** Runs Debian's `promtool` (package `prometheus`, which `.ci/run` installs) in deploy/prometheus/. */
async function promtool(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('promtool', args, { cwd: DIRECTORY });
  return stdout + stderr;
}

describe('the shipped Prometheus setup (deploy/prometheus/)', () => {
  it('passes the alert rules\' unit tests (promtool test rules)', async () => {
    assert.match(await promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  });

  it('is a valid configuration whose rules load (promtool check config)', async () => {
    assert.match(await promtool('check', 'config', 'prometheus.yml'), /SUCCESS: 7 rules found/);
  });

  it('alerts only on metrics the app exposes, so that a renamed metric cannot silence a rule', async () => {
    const rules = readFileSync(`${DIRECTORY}alerts.yml`, 'utf8');
    const used = new Set([...rules.matchAll(/\b((?:auth|authz|http|graphql|nodejs)_[a-z0-9_]+)\b/g)].map(([, name]) => name!));
    assert.ok(used.size >= 6, [...used].join(', '));
    const h = await startHarness({ METRICS_PORT: '0' });
    const listener = await startMetricsListener(h.app);
    try {
      // A request, so that the histogram has a series.
      await h.graphql('{ publicMessage { text } }');
      const exposed = [...(await listener.scrape()).series()];
      for (const name of used) assert.ok(exposed.some((series) => series === name || series.startsWith(`${name}{`)), `${name} is exposed`);
    } finally {
      await listener.close();
      await h.close();
    }
  });
});
