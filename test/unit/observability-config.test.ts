import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

function failsOn(env: Record<string, string>, variable: string): void {
  assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable);
}

describe('loadConfig: metrics and traces', () => {
  it('opens no metrics listener and traces nothing by default', () => {
    const config = loadConfig({});
    assert.equal(config.metrics, undefined);
    assert.equal(config.tracing, undefined);
  });

  it('takes METRICS_PORT and METRICS_HOST, the host defaulting to none (the API\'s own address)', () => {
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464' }).metrics, { port: 9464, host: undefined });
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics, { port: 9464, host: '10.0.0.5' });
    failsOn({ METRICS_PORT: '70000' }, 'METRICS_PORT');
    failsOn({ METRICS_PORT: 'metrics' }, 'METRICS_PORT');
  });

  it('sends traces to v1/traces under OTEL_EXPORTER_OTLP_ENDPOINT, or to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', () => {
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing?.url.href, 'http://collector:4318/v1/traces');
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' }).tracing?.url.href, 'http://collector:4318/base/v1/traces');
    const both = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/in' };
    assert.equal(loadConfig(both).tracing?.url.href, 'https://traces.example.com/in');
    assert.equal(loadConfig({ ...both, OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
    failsOn({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    failsOn({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  });

  it('reads the standard defaults, headers, resource attributes and sampler', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    assert.deepEqual(loadConfig(endpoint).tracing, {
      url: new URL('http://collector:4318/v1/traces'),
      headers: {},
      serviceName: 'graphql-auth-directives-api',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    const tracing = loadConfig({
      ...endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b, tenant=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'tenant=two',
      OTEL_SERVICE_NAME: 'hello',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    }).tracing;
    assert.deepEqual(tracing?.headers, { 'api-key': 'a b', tenant: 'two' });
    assert.equal(tracing?.serviceName, 'hello');
    assert.deepEqual(tracing?.resourceAttributes, { 'deployment.environment.name': 'prod' });
    assert.equal(tracing?.sampler, 'traceidratio');
    assert.equal(tracing?.samplerRatio, 0.25);
    failsOn({ ...endpoint, OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER');
    failsOn({ ...endpoint, OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG');
    failsOn({ ...endpoint, OTEL_TRACES_SAMPLER_ARG: '-0.1' }, 'OTEL_TRACES_SAMPLER_ARG');
    failsOn({ ...endpoint, OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' }, 'OTEL_EXPORTER_OTLP_HEADERS');
    failsOn({ ...endpoint, OTEL_RESOURCE_ATTRIBUTES: 'a=%E0%A4%A' }, 'OTEL_RESOURCE_ATTRIBUTES');
  });
});
