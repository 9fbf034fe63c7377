import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type IdGenerator,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { SpanName, TraceParent } from './hooks.js';
import type { TracingSettings } from './tracing-settings.js';

export interface Tracing {
  span<T>(name: SpanName, parent: TraceParent | undefined, work: (span: TraceParent | undefined) => Promise<T>, policy?: string): Promise<T>;
  /** Runs `handler` inside a server span that joins the caller's `traceparent`, if any. */
  serve(req: IncomingMessage, res: ServerResponse, route: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  /** A `graphql.execute` span around each operation's execution. */
  apolloPlugin: ApolloServerPlugin<{ trace?: TraceParent | undefined }>;
  /** Exports what is left and stops. */
  close(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

/** A sampled span as the rest of the app carries it: its ids, and the context its children start in. */
class SpanHandle implements TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly context: Context;

  constructor(span: Span, parent: Context) {
    ({ traceId: this.traceId, spanId: this.spanId } = span.spanContext());
    this.context = trace.setSpan(parent, span);
  }
}

/**
 * The SDK's random ids, with a root span's trace id drawn ahead: `serve` draws it to ask the
 * sampler before any span exists, so that a request it will not sample builds none (the SDK's
 * `startSpan` builds a non-recording span for each, with a span id, its attributes checked and its
 * own counters, which cost more than the decision), and the span of a request it will sample takes
 * that very id, so the decision stands. The samplers `samplerOf` builds decide on the id alone.
 */
class TraceIds implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  #next: string | undefined;

  draw(): string {
    return this.#random.generateTraceId();
  }

  /** Makes `traceId` the next root span's. */
  take(traceId: string): void {
    this.#next = traceId;
  }

  generateTraceId(): string {
    const traceId = this.#next ?? this.#random.generateTraceId();
    this.#next = undefined;
    return traceId;
  }

  generateSpanId(): string {
    return this.#random.generateSpanId();
  }
}

/**
 * A tracer provider of this app's own rather than the global one, so that two apps in one process
 * (tests) export apart. No context manager is installed: the parent span travels explicitly (see
 * `TraceParent`). The spans are built here by hand at the few points that matter, rather than by
 * the HTTP and GraphQL auto-instrumentations: those need a module loader hook and the context
 * manager, and the GraphQL one records the query text, which must never leave the process.
 */
export function createTracing(settings: TracingSettings): Tracing {
  const sampler = samplerOf(settings);
  const ids = new TraceIds();
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName })),
    sampler,
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.url.href, headers: { ...settings.headers } }))],
  });
  const tracer = provider.getTracer('graphql-auth-directives-api');

  return {
    // Child spans only under a sampled request: an unsampled one pays for no span, id or context.
    span(name, parent, work, policy) {
      if (!(parent instanceof SpanHandle)) return work(undefined);
      const span = tracer.startSpan(name, policy === undefined ? {} : { attributes: { 'authz.policy': policy } }, parent.context);
      return ended(span, work(new SpanHandle(span, parent.context)));
    },
    serve(req, res, route, handler) {
      // Every request gets the property, sampled or not: one that only sampled requests had would
      // give them hidden classes of their own, and each would send the optimised code of the
      // functions that handle requests back to V8's compiler (callgrind: 13 to 19 % more
      // instructions per request at a 1 % sample; bench/README.md, step 14).
      req.trace = undefined;
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const method = req.method ?? 'GET';
      // No path, query or header goes on the span: the route is from the route table, never the URL.
      const name = route === 'unmatched' ? method : `${method} ${route}`;
      const attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_HTTP_ROUTE]: route };
      if (!trace.getSpanContext(parent)) {
        // A new trace: the sampler decides before any span is built (see `TraceIds`).
        const traceId = ids.draw();
        if (sampler.shouldSample(parent, traceId, name, SpanKind.SERVER, attributes, []).decision === SamplingDecision.NOT_RECORD) return handler(req, res);
        ids.take(traceId);
      }
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
      // Not sampled: nothing will be exported, so nothing is carried through the request.
      if (!span.isRecording()) return handler(req, res);
      res.once('close', () => {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      req.trace = new SpanHandle(span, parent);
      handler(req, res);
    },
    apolloPlugin: {
      async requestDidStart({ contextValue: { trace: parent } }) {
        if (!(parent instanceof SpanHandle)) return undefined;
        return {
          async executionDidStart({ operation }) {
            const span = tracer.startSpan('graphql.execute', { attributes: { 'graphql.operation.type': operation.operation } }, parent.context);
            return {
              async executionDidEnd(error) {
                if (error) span.setStatus({ code: SpanStatusCode.ERROR });
                span.end();
              },
            };
          },
        };
      },
    },
    close: () => provider.shutdown(),
  };
}

/** Ends `span` when `work` settles; a failure is marked by its error's name, never its message. */
async function ended<T>(span: Span, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'unknown');
    throw error;
  } finally {
    span.end();
  }
}

function samplerOf({ sampler, samplerRatio }: TracingSettings): Sampler {
  const root = sampler.endsWith('always_on') ? new AlwaysOnSampler() : sampler.endsWith('always_off') ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(samplerRatio);
  return sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}
