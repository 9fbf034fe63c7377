import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { NO_TELEMETRY, type Telemetry, type TraceParent } from './hooks.js';
import type { TracingSettings } from './tracing-settings.js';

/** Metrics with `METRICS_PORT` set, traces with an OTLP endpoint set; either, both or neither. */
export interface ObservabilitySettings {
  metrics: boolean;
  tracing: TracingSettings | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Observability {
  /** What the deciding modules report to; `NO_TELEMETRY` when nothing observes. */
  telemetry: Telemetry;
  apolloPlugins: Array<ApolloServerPlugin<{ trace?: TraceParent | undefined }>>;
  /**
   * Wraps the app's request handler: each answer is timed under the route `routeOf` names (from
   * the route table, or `unmatched`), inside a server span when tracing is on. Without metrics or
   * tracing it is `handler` itself, so nothing is paid for.
   */
  instrument(handler: Handler, routeOf: (url: string) => string): Handler;
  /** The metrics listener's handler (`GET /metrics`); undefined when metrics are off. */
  metricsHandler: Handler | undefined;
  /** Exports the spans not yet sent, and stops. */
  close(): Promise<void>;
}

/**
 * The capability's one entry point, composed by `src/http/app.ts`. prom-client and the
 * OpenTelemetry SDK are loaded only when configured, so a process that uses neither never loads them.
 */
export async function createObservability(settings: ObservabilitySettings): Promise<Observability> {
  const metrics = settings.metrics ? (await import('./metrics.js')).createMetrics() : undefined;
  const tracing = settings.tracing ? (await import('./tracing.js')).createTracing(settings.tracing) : undefined;
  const telemetry: Telemetry = { ...NO_TELEMETRY, ...metrics?.hooks, ...(tracing ? { span: tracing.span } : {}) };
  return {
    telemetry,
    apolloPlugins: tracing ? [tracing.apolloPlugin] : [],
    instrument(handler, routeOf) {
      if (!metrics && !tracing) return handler;
      return (req, res) => {
        const route = routeOf(req.url ?? '');
        metrics?.timeAnswer(req, res, route);
        if (tracing) tracing.serve(req, res, route, handler);
        else handler(req, res);
      };
    },
    metricsHandler: metrics?.handler,
    close: async () => tracing?.close(),
  };
}
