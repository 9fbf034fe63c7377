import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildASTSchema, parse } from 'graphql';
import { AllMessagesDocument, FeaturedDocument, ReportsDocument } from '../generated/operations.js';
import { ADMIN } from '../helpers/harness.js';
import { send } from '../helpers/typed-operation.js';
import { useHarness } from '../helpers/use-harness.js';

const STATS = 'read:admin-stats';

describe('authorization over HTTP, outside production', () => {
  const harness = useHarness();

  it('explains a FORBIDDEN denial with the required and missing permissions', async () => {
    const h = harness();
    const { status, data, errors } = await send(h, AllMessagesDocument, await h.token({ permissions: ['read:messages'] }));
    assert.equal(status, 200);
    assert.equal(data?.publicMessage.text, 'This is a public message.');
    assert.equal(data?.adminMessage, null);
    assert.deepEqual(errors.map((e) => e.extensions), [{ code: 'FORBIDDEN', authorization: { required: [ADMIN], missing: [ADMIN] } }]);
  });

  it('adds nothing to an UNAUTHENTICATED denial: there is no token to explain', async () => {
    const h = harness();
    const { errors } = await send(h, AllMessagesDocument);
    assert.deepEqual(errors.map((e) => e.extensions), [{ code: 'UNAUTHENTICATED' }, { code: 'UNAUTHENTICATED' }]);
  });

  it("keeps each report's own rules when reports are read through their interface", async () => {
    const h = harness();
    const anonymous = await send(h, ReportsDocument);
    // The AdminStats report is left out altogether: its type's rule denies the anonymous caller.
    assert.deepEqual(anonymous.data?.reports, [{ __typename: 'MessageReport', title: 'Messages', owner: null, messageCount: 3 }]);
    const stats = await send(h, ReportsDocument, await h.token({ permissions: [STATS] }));
    const adminStats = stats.data?.reports.find((report) => report.__typename === 'AdminStats');
    assert.ok(adminStats?.__typename === 'AdminStats');
    assert.equal(adminStats.title, 'Administration');
    assert.equal(typeof adminStats.uptimeSeconds, 'number');
    assert.equal(adminStats.adminMessageCount, null);
    assert.deepEqual(stats.errors.map((e) => [e.path, e.extensions?.['authorization']]), [
      [['reports', 1, 'adminMessageCount'], { required: [STATS, ADMIN], missing: [ADMIN] }],
    ]);
  });

  it('leaves AdminStats out of a union list for a caller its rule denies, so not even its __typename shows', async () => {
    const h = harness();
    const denied = await send(h, FeaturedDocument, await h.token({ permissions: [ADMIN] }));
    assert.deepEqual(denied.data?.featured, [{ __typename: 'Message', text: 'This is a public message.' }]);
    assert.deepEqual(denied.errors, []);
    const granted = await send(h, FeaturedDocument, await h.token({ permissions: [STATS] }));
    assert.deepEqual(granted.errors, []);
  });

  it('serves the SDL with directive definitions and usages at /schema.graphql', async () => {
    const h = harness();
    const response = await fetch(`${h.url}/schema.graphql`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8/);
    const sdl = await response.text();
    assert.match(sdl, /directive @hasPermission\(name: String!\) repeatable on OBJECT \| INTERFACE \| FIELD_DEFINITION/);
    assert.match(sdl, /adminMessage: Message @hasPermission\(name: "read:admin-messages"\)/);
    assert.match(sdl, /type AdminStats implements Report @hasPermission\(name: "read:admin-stats"\)/);
    assert.match(sdl, /schema @knownPermissions\(names: \["read:admin-messages", "read:admin-stats"[^\]]*\]\)/);
    assert.ok(buildASTSchema(parse(sdl)).getType('AdminStats'));
  });
});

describe('authorization over HTTP, in production', () => {
  const harness = useHarness({ NODE_ENV: 'production' });

  it('does not explain denials', async () => {
    const h = harness();
    const { errors } = await send(h, AllMessagesDocument, await h.token({ permissions: ['read:messages'] }));
    assert.deepEqual(errors.map((e) => e.extensions), [{ code: 'FORBIDDEN' }]);
  });
});

describe('GET /schema.graphql with introspection off', () => {
  const harness = useHarness({ GRAPHQL_INTROSPECTION: 'false' });

  it('is not served, as it discloses more than introspection would', async () => {
    const h = harness();
    const response = await fetch(`${h.url}/schema.graphql`);
    assert.equal(response.status, 404);
  });
});

describe('PERMISSIONS_CLAIM=scope and AUTHZ_DEFAULT=deny', () => {
  const harness = useHarness({ PERMISSIONS_CLAIM: 'scope', AUTHZ_DEFAULT: 'deny' });

  it('grants from the scope string', async () => {
    const h = harness();
    const { data, errors } = await send(h, AllMessagesDocument, await h.token({ scope: `openid ${ADMIN}` }));
    assert.deepEqual(errors, []);
    assert.equal(data?.adminMessage?.text, 'This is an admin message.');
  });

  it('ignores the permissions array: the two sources are never merged', async () => {
    const h = harness();
    const { errors } = await send(h, AllMessagesDocument, await h.token({ permissions: [ADMIN], scope: 'openid' }));
    assert.deepEqual(errors.map((e) => e.extensions), [{ code: 'FORBIDDEN', authorization: { required: [ADMIN], missing: [ADMIN] } }]);
  });
});
