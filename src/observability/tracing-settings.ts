/**
 * What `config.ts` reads from OpenTelemetry's standard variables and hands to the tracer. Apart
 * from the SDK, so that reading the configuration does not load it.
 */

/** The values of OpenTelemetry's `OTEL_TRACES_SAMPLER` this API understands. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** Tracing as the standard `OTEL_*` variables describe it; `config.ts` reads them and hands them over. */
export interface TracingSettings {
  /** Where spans are POSTed as OTLP/HTTP JSON: the collector's `/v1/traces`. */
  url: URL;
  /** Sent with every export, e.g. a collector's API key. */
  headers: Readonly<Record<string, string>>;
  serviceName: string;
  resourceAttributes: Readonly<Record<string, string>>;
  sampler: (typeof SAMPLERS)[number];
  /** The ratio of the `traceidratio` samplers, 0 to 1. */
  samplerRatio: number;
}
