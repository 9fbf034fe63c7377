/**
 * An OpenTelemetry collector's OTLP/HTTP trace endpoint, on loopback, that keeps what it is sent:
 * the tests read the spans (and the raw bodies, to search them for what must never be exported),
 * and the bench gives its traced contender somewhere to export to. No collector is packaged here.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP's JSON encoding spells it (ids in hex), with the service that sent it. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

interface ExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: Array<Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: KeyValue[] }> }>;
  }>;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Every request body received, as sent. */
  bodies: string[];
  /** The request headers of each export. */
  headers: Array<Record<string, string | string[] | undefined>>;
  close(): Promise<void>;
}

/**
 * `keep: false` answers every export and keeps nothing, as the bench wants: its load generator
 * shares this process, and a heap that grows with every span would slow it, most of all while the
 * traced contender runs.
 */
export async function startOtlpReceiver({ keep = true } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const headers: OtlpReceiver['headers'] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
    if (keep) {
      bodies.push(body);
      headers.push(req.headers);
      spans.push(...spansOf(JSON.parse(body) as ExportRequest));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    bodies,
    headers,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function spansOf(request: ExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) => {
    const service = String(attributesOf(resource?.attributes)['service.name']);
    return (scopeSpans ?? []).flatMap(({ spans = [] }) => spans.map((span) => ({ ...span, service, attributes: attributesOf(span.attributes) })));
  });
}

/** OTLP's `[{ key, value: { stringValue } }]` as a plain object. */
function attributesOf(list: KeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));
}
