import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ADMIN, CLIENT_ORIGIN, type Harness } from '../helpers/harness.js';
import { startLoggedHarness, type CapturedLogs } from '../helpers/log-capture.js';
import { rawRequest, type RawAnswer } from '../helpers/http-request.js';

/**
 * `/graphql` and the REST mirror are served on plain node:http, not through Express and
 * body-parser: every way a request can reach them must still get the answer Express gave.
 */

const QUERY = '{"query":"{ publicMessage { text } }"}';
const PUBLIC_DATA = '{"data":{"publicMessage":{"text":"This is a public message."}}}\n';
const JSON_TYPE = { 'content-type': 'application/json' };
const CSRF_BLOCKED = /Cross-Site Request Forgery/;

describe('the node:http path for /graphql and the REST mirror', () => {
  let h: Harness;
  let logs: CapturedLogs;
  before(async () => {
    ({ h, logs } = await startLoggedHarness());
  });
  after(() => h.close());

  const send = (method: string, path: string, headers: Record<string, string>, chunks: Array<string | Buffer> = []): Promise<RawAnswer> =>
    rawRequest(`${h.url}${path}`, method, headers, chunks);

  const assertError = (answer: RawAnswer, status: number, message: string) => {
    assert.equal(answer.status, status);
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(answer.body), { message });
  };

  it('reads a chunked body', async () => {
    const answer = await send('POST', '/graphql', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, [QUERY.slice(0, 7), QUERY.slice(7)]);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, PUBLIC_DATA);
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(PUBLIC_DATA)));
  });

  it('decodes UTF-8 split across chunks and drops a byte-order mark, as body-parser does', async () => {
    const text = Buffer.from('{"query":"{ publicMessage { text } } # é€"}');
    const split = text.indexOf(Buffer.from('€')) + 1;
    assert.equal((await send('POST', '/graphql', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, [text.subarray(0, split), text.subarray(split)])).body, PUBLIC_DATA);
    assert.equal((await send('POST', '/graphql', JSON_TYPE, [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text])])).body, PUBLIC_DATA);
  });

  it('answers a body over the limit with a JSON 413, with a content-length and without one', async () => {
    const huge = JSON.stringify({ query: `{ publicMessage { text } } #${'x'.repeat(150_000)}` });
    assertError(await send('POST', '/graphql', JSON_TYPE, [huge]), 413, 'Payload Too Large');
    const chunks = Array.from({ length: 15 }, () => 'x'.repeat(10_000));
    assertError(await send('POST', '/graphql', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, ['{"query":"', ...chunks, '"}']), 413, 'Payload Too Large');
  });

  it('leaves a missing or non-JSON content-type to Apollo, which refuses it as a possible CSRF', async () => {
    const types: Array<Record<string, string>> = [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }];
    for (const headers of types) {
      const answer = await send('POST', '/graphql', headers, [QUERY]);
      assert.equal(answer.status, 400, JSON.stringify(headers));
      assert.match(answer.body, CSRF_BLOCKED);
    }
    const other = await send('POST', '/graphql', { 'content-type': 'application/graphql+json' }, [QUERY]);
    assert.equal(other.status, 400);
    assert.equal(JSON.parse(other.body).errors[0].extensions.code, 'BAD_REQUEST');
  });

  it('applies body-parser’s charset rules to a JSON content-type with parameters', async () => {
    assert.equal((await send('POST', '/graphql', { 'content-type': 'application/json;charset=UTF-8' }, [QUERY])).body, PUBLIC_DATA);
    assertError(await send('POST', '/graphql', { 'content-type': 'application/json; charset=latin1' }, [QUERY]), 400, 'Unsupported charset');
  });

  it('inflates a gzip body, and refuses an unknown content-encoding or a corrupt body with a JSON 400', async () => {
    const gzip = await send('POST', '/graphql', { ...JSON_TYPE, 'content-encoding': 'gzip' }, [gzipSync(QUERY)]);
    assert.equal(gzip.status, 200);
    assert.equal(gzip.body, PUBLIC_DATA);
    assertError(await send('POST', '/graphql', { ...JSON_TYPE, 'content-encoding': 'x-unknown' }, [QUERY]), 400, 'Unsupported content encoding');
    // Not what it says it is; zstd is known to Node 22.15 and later, unknown before.
    assertError(await send('POST', '/graphql', { ...JSON_TYPE, 'content-encoding': 'gzip' }, [QUERY]), 400, 'Malformed request body');
    const zstd = await send('POST', '/graphql', { ...JSON_TYPE, 'content-encoding': 'zstd' }, [QUERY]);
    assert.equal(zstd.status, 400, zstd.body);
    const bomb = gzipSync(JSON.stringify({ query: 'x'.repeat(300_000) }));
    assertError(await send('POST', '/graphql', { ...JSON_TYPE, 'content-encoding': 'gzip' }, [bomb]), 413, 'Payload Too Large');
  });

  it('answers malformed or non-object JSON with a JSON 400, and an empty body with Apollo’s 400', async () => {
    for (const body of ['"x"', '1', 'null', '{"query":']) assertError(await send('POST', '/graphql', JSON_TYPE, [body]), 400, 'Malformed JSON body');
    const empty = await send('POST', '/graphql', JSON_TYPE, ['']);
    assert.equal(empty.status, 400);
    assert.match(empty.body, /POST body missing/);
  });

  it('runs a GET with a query string, once the client opts out of CSRF', async () => {
    const path = `/graphql?query=${encodeURIComponent('{ publicMessage { text } }')}`;
    assert.equal((await send('GET', path, { 'apollo-require-preflight': '1' })).body, PUBLIC_DATA);
    assert.match((await send('GET', path, {})).body, CSRF_BLOCKED);
  });

  it('answers HEAD with headers and no body, and OPTIONS as a preflight', async () => {
    const head = await send('HEAD', '/graphql?query=%7BpublicMessage%7Btext%7D%7D', { 'apollo-require-preflight': '1' });
    assert.equal(head.status, 405);
    assert.equal(head.headers['allow'], 'GET, POST');
    assert.equal(head.body, '');
    const restHead = await send('HEAD', '/api/messages/public', {});
    assert.equal(restHead.status, 200);
    assert.equal(restHead.body, '');
    assert.equal(restHead.headers['content-length'], String('{"text":"This is a public message."}'.length));
    const options = await send('OPTIONS', '/graphql', { origin: CLIENT_ORIGIN, 'access-control-request-method': 'POST' });
    assert.equal(options.status, 204);
    assert.equal(options.headers['access-control-allow-origin'], CLIENT_ORIGIN);
    assert.equal(options.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(options.headers['x-frame-options'], 'deny');
  });

  it('matches paths as Express did: any case, one trailing slash, and nothing below', async () => {
    for (const path of ['/graphql/', '/GraphQL']) assert.equal((await send('POST', path, JSON_TYPE, [QUERY])).body, PUBLIC_DATA, path);
    assert.equal((await send('GET', '/API/messages/public/', {})).status, 200);
    for (const path of ['/graphql/x', '/graphql//', '/api/messages/admin/x']) assertError(await send('POST', path, JSON_TYPE, [QUERY]), 404, 'Not Found');
  });

  it('answers a malformed URL with the JSON 404, and a malformed query string with a GraphQL 400', async () => {
    assertError(await send('GET', '/graphql%E0%A4%A', {}), 404, 'Not Found');
    const badQuery = await send('GET', '/graphql?query=%E0%A4%A', { 'apollo-require-preflight': '1' });
    assert.equal(badQuery.status, 400);
    assert.equal(JSON.parse(badQuery.body).errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
  });

  it('survives a client that aborts mid-body, logging no failure, and serves the next request', async () => {
    const before = logs.lines.length;
    const { hostname, port } = new URL(h.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    // node:http answers `100 Continue` as it hands the request to the app, so the body is awaited.
    socket.write(`POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n\r\n`);
    const [interim] = (await once(socket, 'data')) as [Buffer];
    assert.match(interim.toString(), /^HTTP\/1\.1 100 Continue/);
    socket.write('{"query":"{ pub');
    socket.destroy();
    await once(socket, 'close');
    const token = await h.token({ permissions: [ADMIN] });
    const next = await h.graphql('{ adminMessage { text } }', token);
    assert.deepEqual(next.body.data, { adminMessage: { text: 'This is an admin message.' } });
    const failures = logs.lines.slice(before).filter((line) => Number(line['level']) >= 50);
    assert.deepEqual(failures, []);
  });

  it('reads no further than content-length: a longer body is cut there, and the JSON left is malformed', async () => {
    const { hostname, port } = new URL(h.url);
    const socket = connect(Number(port), hostname);
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (raw += chunk));
    socket.write(`POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 10\r\nconnection: close\r\n\r\n{"query":"{ publicMessage { text } }"}`);
    await once(socket, 'close');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(raw, /publicMessage":\{/);
  });

  it("writes one log line per request with the caller's id and status, on /graphql and the REST mirror", async () => {
    const before = logs.lines.length;
    await send('POST', '/graphql', { ...JSON_TYPE, 'x-request-id': 'path-test-1' }, [QUERY]);
    await send('GET', '/api/messages/protected', { 'x-request-id': 'path-test-2' });
    await send('POST', '/graphql', { ...JSON_TYPE, 'x-request-id': 'path-test-3' }, ['{']);
    const completed = logs.lines.slice(before).filter((line) => line['msg'] === 'request completed');
    assert.deepEqual(
      completed.map((line) => [line['callerRequestId'], (line['req'] as { url: string }).url, (line['res'] as { statusCode: number }).statusCode]),
      [
        ['path-test-1', '/graphql', 200],
        ['path-test-2', '/api/messages/protected', 401],
        ['path-test-3', '/graphql', 400],
      ],
    );
  });
});
