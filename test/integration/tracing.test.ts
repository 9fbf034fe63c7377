import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.js';
import { createDpopKey, forgeProof, PATIENT_KEY_SET } from '../helpers/dpop.js';
import { startHarness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';

const SERVER = 2;

describe('traces: OTLP/HTTP export of a request joined to its caller', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver.close());

  it("joins the caller's traceparent, gives each step a child span, puts the ids on every log line, and exports no token, proof or query", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const h = await startHarness(
      {
        ...PATIENT_KEY_SET,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=secret%20key',
        OTEL_SERVICE_NAME: 'api-under-test',
      },
      { logger },
    );
    // A key the app has not fetched yet, so that verifying the token fetches the key set within the request.
    await until(() => h.app.verifier.issuers[0]!.keySet.fetches >= 1, 'the start-up key-set fetch');
    const newKey = await h.idp.publish('test-key-2');
    const dpopKey = await createDpopKey();
    const token = await h.token({ permissions: ['read:admin-messages'], cnf: { jkt: dpopKey.thumbprint } }, newKey);
    const proof = await forgeProof(dpopKey, { method: 'POST', url: `${h.url}/graphql`, accessToken: token });
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const query = 'query SecretOperationName { secretAlias: adminMessage { text } notes { body } }';

    const response = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop: proof, traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify({ query }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const reqId = response.headers.get('x-request-id');
    // Closing the app exports what is left.
    await h.close();

    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const named = (name: string) => spans.filter((span) => span.name === name);
    const [server] = named('POST /graphql');
    assert.ok(server, `a server span in the caller's trace, among ${JSON.stringify(receiver.spans.map((span) => span.name))}`);
    assert.equal(server.parentSpanId, callerSpanId);
    assert.equal(server.kind, SERVER);
    assert.equal(server.service, 'api-under-test');
    assert.deepEqual(server.attributes, { 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 });

    const [verify] = named('auth.verify_token');
    const childOf = (span: ReceivedSpan | undefined, parent: ReceivedSpan) => assert.equal(span?.parentSpanId, parent.spanId, `${span?.name} under ${parent.name}`);
    childOf(verify, server);
    childOf(named('auth.jwks_fetch')[0], verify!);
    childOf(named('auth.dpop_proof')[0], server);
    childOf(named('graphql.execute')[0], server);
    assert.deepEqual(named('graphql.execute')[0]!.attributes, { 'graphql.operation.type': 'query' });
    const policies = named('authz.policy');
    assert.equal(policies.length, 2, 'one span per note body');
    for (const policy of policies) assert.deepEqual(policy.attributes, { 'authz.policy': 'noteOwnerOrAdmin' });

    const exported = receiver.bodies.join('\n');
    for (const secret of [token, token.split('.')[2]!, proof, proof.split('.')[2]!, 'SecretOperationName', 'secretAlias', 'notes { body }']) {
      assert.ok(!exported.includes(secret), `the export holds ${secret.slice(0, 20)}…`);
    }
    assert.ok(receiver.headers.every((headers) => headers['x-collector-key'] === 'secret key'));

    const requestLines = lines.filter((line) => line['reqId'] === reqId);
    assert.ok(requestLines.some((line) => line['msg'] === 'request completed'));
    for (const line of requestLines) {
      assert.equal(line['trace_id'], traceId, JSON.stringify(line));
      assert.ok(spans.some((span) => span.spanId === line['span_id']), `span_id of ${JSON.stringify(line)}`);
    }
  });

  it('samples by OTEL_TRACES_SAMPLER: at ratio 0, only a trace its caller sampled is exported', async () => {
    const h = await startHarness({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.endpoint}/v1/traces`,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    const sampled = randomBytes(16).toString('hex');
    const unsampled = randomBytes(16).toString('hex');
    const send = (traceId: string, flags: string) =>
      fetch(`${h.url}/api/messages/public`, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}` } });
    await send(sampled, '01');
    await send(unsampled, '00');
    const before = receiver.spans.length;
    await fetch(`${h.url}/api/messages/public`);
    await h.close();
    const names = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId).map((span) => span.name);
    assert.deepEqual(names(sampled), ['GET /api/messages/public']);
    assert.deepEqual(names(unsampled), []);
    assert.deepEqual(receiver.spans.slice(before).filter((span) => span.name === 'GET /api/messages/public' && span.traceId !== sampled), []);
  });
  it('starts a new trace where the sampler picks its trace id, and exports it whole under that id', async () => {
    const h = await startHarness({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.endpoint}/v1/traces`,
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
    });
    const REQUESTS = 400;
    const before = receiver.spans.length;
    for (let i = 0; i < REQUESTS; i++) await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ publicMessage { text } }"}' });
    await h.close();
    const spans = receiver.spans.slice(before);
    const roots = spans.filter((span) => span.name === 'POST /graphql');
    // 200 ± 10 sampled: a ratio applied twice (0.25, a decision on one id and a span under another)
    // would sample 100 ± 9; outside 150–250 either way is five standard deviations out.
    assert.ok(roots.length > 150 && roots.length < 250, `${roots.length} of ${REQUESTS} sampled`);
    const ratio = new TraceIdRatioBasedSampler(0.5);
    for (const root of roots) {
      assert.equal(root.parentSpanId ?? '', '');
      assert.equal(ratio.shouldSample(ROOT_CONTEXT, root.traceId).decision, SamplingDecision.RECORD_AND_SAMPLED, 'a trace id the sampler would not pick');
      assert.ok(spans.some((span) => span.traceId === root.traceId && span.name === 'graphql.execute' && span.parentSpanId === root.spanId), 'its execution span');
    }
  });
});
