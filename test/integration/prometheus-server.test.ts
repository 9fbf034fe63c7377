import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeySetServer, sign, type SigningKey } from '../../support/key-set-server.js';
import { AUDIENCE, ADMIN } from '../helpers/harness.js';
import { logLine, startServer, type RunningServer } from '../helpers/process.js';
import { PrometheusServer } from '../helpers/prometheus.js';
import { until } from '../helpers/until.js';

const QUERY = 'authz_decisions_total{coordinate="Query.adminMessage"}';

describe('a real Prometheus server scraping the API as users run it', () => {
  let idp: KeySetServer;
  let key: SigningKey;
  let api: RunningServer;
  let metricsPort: number;
  let prometheus: PrometheusServer;
  before(async () => {
    idp = await KeySetServer.start();
    key = await idp.publish('test-key-1');
    api = await startServer({ AUTH0_ISSUER_BASE_URL: idp.issuer, AUTH0_AUDIENCE: AUDIENCE, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
    ({ port: metricsPort } = (await logLine(api.child, /metrics listening/)) as { port: number });
    prometheus = await PrometheusServer.start([`127.0.0.1:${metricsPort}`]);
  });
  after(async () => {
    await prometheus?.stop();
    api?.child.kill('SIGTERM');
    await api?.exit;
    await idp?.close();
  });

  it(`answers ${QUERY} with the decisions of a known set of requests`, async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = (permissions: string[]) => sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'auth0|prometheus', iat: now, exp: now + 600, permissions }, { key });
    const [admin, plain] = await Promise.all([token([ADMIN]), token([])]);
    const ask = (authorization?: string) =>
      fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization: `Bearer ${authorization}` } : {}) },
        body: JSON.stringify({ query: '{ adminMessage { text } }' }),
      });
    // 3 anonymous, 2 with the admin permission, 1 without it.
    for (const authorization of [undefined, undefined, undefined, admin, admin, plain]) assert.equal((await ask(authorization)).status, 200);

    const expected = { forbidden: 1, granted: 2, unauthenticated: 3 };
    let answer: Record<string, number> = {};
    await until(async () => {
      answer = Object.fromEntries((await prometheus.query(QUERY)).map(({ metric, value }) => [metric['decision']!, value]));
      return JSON.stringify(answer) === JSON.stringify(expected);
    }, `Prometheus to answer ${JSON.stringify(expected)} (last: ${JSON.stringify(answer)})`, 60_000);

    const [series] = await prometheus.query(`${QUERY.slice(0, -1)},decision="unauthenticated"}`);
    assert.deepEqual(series?.metric, {
      __name__: 'authz_decisions_total',
      coordinate: 'Query.adminMessage',
      decision: 'unauthenticated',
      instance: `127.0.0.1:${metricsPort}`,
      job: 'graphql-auth-api',
    });
    assert.deepEqual(await prometheus.query('sum by (route, status_code) (http_server_request_duration_seconds_count{method="POST"})'), [
      { metric: { route: '/graphql', status_code: '200' }, value: 6 },
    ]);
  });

  it('finds no /metrics on the API port', async () => {
    assert.equal((await fetch(`${api.url}/metrics`)).status, 404);
  });
});
