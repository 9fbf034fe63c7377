import { fileURLToPath } from 'node:url';
import type { JWTPayload } from '../support/jose.js';
import { dpopCredentials } from '../src/dev/dpop-proof.js';
import { readManifest } from '../src/documents/index.js';
import { MessageText } from '../src/graphql/resolvers.js';
import { SPA_MANIFEST_FILE } from '../src/tooling/access-matrix.js';
import { freePort } from '../support/free-port.js';
import { type KeySetServer, type SigningKey } from '../support/key-set-server.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import type { Target } from './load.js';
import { startBenchServer, startProject, type ServerProcess } from './processes.js';

const AUDIENCE = 'https://hello-world.example.com';
const ADMIN = 'read:admin-messages';

export type ContenderKey =
  | 'floor'
  | 'rest-peer'
  | 'apollo'
  | 'yoga'
  | 'mercurius'
  | 'admin'
  | 'admin-dpop'
  | 'admin-document'
  | 'public'
  | 'admin-uncached'
  | 'admin-rate-limited'
  | 'rest'
  | 'admin-metrics'
  | 'admin-traced';

/** A server setup under test, and how to ask it for the admin (or public) message. */
export interface Contender {
  key: ContenderKey;
  label: string;
  /** What kind of peer it is, if it is one: the targets compare against each kind. */
  peer?: 'rest' | 'graphql';
  target: Target;
  /** The process that answers, whose CPU time is read. */
  server: ServerProcess;
}

/** How the bench runs this project: as in production, against the bench's loopback issuer. */
export function projectEnv(issuer: string, extra: Record<string, string> = {}): Record<string, string> {
  return { NODE_ENV: 'production', AUTH0_ISSUER_BASE_URL: issuer, AUTH0_AUDIENCE: AUDIENCE, ...extra };
}

/** A quota no run can reach, counted in memory: what charging every request costs. */
export const RATE_LIMITED_ENV = { RATE_LIMIT: '999999999/60' };

/** Metrics on, on a port of their own that nothing scrapes during the run. */
export async function metricsEnv(): Promise<Record<string, string>> {
  return { METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' };
}

/** Traces sampled at 1 %, exported over OTLP/HTTP to `endpoint`. */
export function tracingEnv(endpoint: string): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' };
}

/**
 * The features on `adminMessage`'s path, each in a process of its own configured as `npm run bench`
 * configures it, for the scripts that take their cost apart (`cost-by-package.ts`, `instructions.ts`).
 */
export async function featureVariants(otlpEndpoint: string): Promise<Array<{ name: string; env: Record<string, string> }>> {
  return [
    { name: 'plain', env: {} },
    { name: 'RATE_LIMIT', env: RATE_LIMITED_ENV },
    { name: 'metrics', env: await metricsEnv() },
    { name: 'metrics + traces 1 %', env: { ...(await metricsEnv()), ...tracingEnv(otlpEndpoint) } },
  ];
}

/** Signs a token like an Auth0 access token with the admin permission, valid for an hour; `claims` add to it or replace. */
export function adminToken(idp: KeySetServer, key: SigningKey, claims: JWTPayload = {}): Promise<string> {
  return idp.accessToken(key, { sub: 'auth0|bench', permissions: [ADMIN], ...claims }, { audience: AUDIENCE, lifetimeS: 3600 });
}

/** Mints an admin token with extra claims, as `adminToken` bound to the bench's issuer and key. */
export type MintToken = (claims?: JWTPayload) => Promise<string>;

export function restAdmin(baseUrl: string, token?: string): Target {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return { url: `${baseUrl}/api/messages/admin`, method: 'GET', headers, expected: JSON.stringify({ text: MessageText.admin }) };
}

/** What Apollo Client sends (its `defaultHttpOptions`), so every GraphQL server negotiates as for a real client. */
const GRAPHQL_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

export function graphqlQuery(baseUrl: string, field: 'adminMessage' | 'publicMessage', token?: string): Target {
  const text = field === 'adminMessage' ? MessageText.admin : MessageText.public;
  return {
    url: `${baseUrl}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_ACCEPT, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: `{ ${field} { text } }` }),
    expected: JSON.stringify({ data: { [field]: { text } } }),
  };
}

/** The example SPA's trusted documents, which the documentId contender's server enforces. */
const SPA_MANIFEST = fileURLToPath(SPA_MANIFEST_FILE);

/** `adminMessage` by the `documentId` of the SPA's `AdminMessage` operation, as the SPA sends it. */
function adminByDocumentId(baseUrl: string, token: string): Target {
  const { id } = readManifest(SPA_MANIFEST).find((operation) => operation.body.includes('adminMessage'))!;
  return { ...graphqlQuery(baseUrl, 'adminMessage', token), body: JSON.stringify({ documentId: id }) };
}

/**
 * `adminMessage` with a DPoP-bound admin token (`cnf.jkt` of a fresh key) and a fresh proof per
 * request. The proofs are signed before each run, so the load generator does not spend the run
 * signing; each is good for one request, as the server refuses a replayed `jti`.
 */
async function dpopAdmin(baseUrl: string, mint: MintToken): Promise<Target & Required<Pick<Target, 'perRequestHeaders'>>> {
  const query = graphqlQuery(baseUrl, 'adminMessage');
  const { accessToken, nextProof } = await dpopCredentials((jkt) => mint({ cnf: { jkt } }), query);
  return {
    ...query,
    headers: { ...query.headers, authorization: `DPoP ${accessToken}` },
    perRequestHeaders: async (count) => (await Promise.all(Array.from({ length: count }, nextProof))).map((dpop) => ({ dpop })),
  };
}

export interface StartedContenders {
  list: Contender[];
  /** A token and a DPoP proof as the contenders send them, for the signature floors. */
  samples: { token: string; proof: string };
  stop(): Promise<void>;
}

/** Starts every server, each in its own process, and lists the contenders in the order of the table. */
export async function startContenders(issuer: string, mint: MintToken, projectNodeArgs: string[]): Promise<StartedContenders> {
  const token = await mint();
  const peerArgs = [issuer, AUDIENCE];
  // Where the traced contender exports: a collector's endpoint on loopback that answers and keeps the spans.
  const receiver = await startOtlpReceiver({ keep: false });
  const [floor, restPeer, apollo, yoga, mercurius, project, uncached, rateLimited, trusted, metered, traced] = await Promise.all([
    startBenchServer('floor.mjs'),
    startBenchServer('rest-express.mjs', peerArgs),
    startBenchServer('apollo-shield.mjs', peerArgs),
    startBenchServer('yoga.mjs', peerArgs),
    startBenchServer('mercurius.mjs', peerArgs),
    startProject(projectEnv(issuer), projectNodeArgs),
    startProject(projectEnv(issuer, { TOKEN_CACHE_SIZE: '0' }), projectNodeArgs),
    startProject(projectEnv(issuer, RATE_LIMITED_ENV), projectNodeArgs),
    startProject(projectEnv(issuer, { TRUSTED_DOCUMENTS: SPA_MANIFEST, TRUSTED_DOCUMENTS_MODE: 'enforce' }), projectNodeArgs),
    metricsEnv().then((env) => startProject(projectEnv(issuer, env), projectNodeArgs)),
    metricsEnv().then((env) => startProject(projectEnv(issuer, { ...env, ...tracingEnv(receiver.endpoint) }), projectNodeArgs)),
  ]);
  const admin = (server: ServerProcess) => graphqlQuery(server.url, 'adminMessage', token);
  const dpop = await dpopAdmin(project.url, mint);
  const list: Contender[] = [
    { key: 'floor', label: 'floor: bare node:http, no auth', server: floor, target: restAdmin(floor.url) },
    { key: 'rest-peer', label: 'REST peer: Express + express-oauth2-jwt-bearer', peer: 'rest', server: restPeer, target: restAdmin(restPeer.url, token) },
    { key: 'apollo', label: 'GraphQL peer: Apollo/Express + graphql-shield', peer: 'graphql', server: apollo, target: admin(apollo) },
    { key: 'yoga', label: 'GraphQL peer: Yoga + plugin-jwt + generic-auth', peer: 'graphql', server: yoga, target: admin(yoga) },
    { key: 'mercurius', label: 'GraphQL peer: Fastify + mercurius-auth', peer: 'graphql', server: mercurius, target: admin(mercurius) },
    { key: 'admin', label: 'this project: adminMessage, admin token', server: project, target: admin(project) },
    { key: 'admin-dpop', label: 'this project: adminMessage, DPoP-bound token + fresh proof per request', server: project, target: dpop },
    { key: 'admin-document', label: 'this project: adminMessage by documentId, TRUSTED_DOCUMENTS enforce', server: trusted, target: adminByDocumentId(trusted.url, token) },
    { key: 'public', label: 'this project: publicMessage, no token', server: project, target: graphqlQuery(project.url, 'publicMessage') },
    { key: 'admin-uncached', label: 'this project: adminMessage, TOKEN_CACHE_SIZE=0', server: uncached, target: admin(uncached) },
    { key: 'admin-rate-limited', label: 'this project: adminMessage, RATE_LIMIT never reached, in-memory store', server: rateLimited, target: admin(rateLimited) },
    { key: 'rest', label: 'this project: REST /api/messages/admin', server: project, target: restAdmin(project.url, token) },
    { key: 'admin-metrics', label: 'this project: adminMessage, metrics on', server: metered, target: admin(metered) },
    { key: 'admin-traced', label: 'this project: adminMessage, metrics + traces sampled at 1%', server: traced, target: admin(traced) },
  ];
  const servers = new Set(list.map((contender) => contender.server));
  const [sample] = await dpop.perRequestHeaders(1);
  return {
    list,
    samples: { token, proof: sample!['dpop']! },
    stop: async () => {
      await Promise.all([...servers].map((s) => s.stop()));
      await receiver.close();
    },
  };
}

/** Sends one request; undefined when it got exactly the expected answer, else what it got instead. */
export async function probe(target: Target): Promise<string | undefined> {
  const [perRequest] = (await target.perRequestHeaders?.(1)) ?? [];
  const response = await fetch(target.url, { method: target.method, headers: { ...target.headers, ...perRequest }, body: target.body ?? null });
  const body = await response.text();
  return response.status === 200 && body.trimEnd() === target.expected ? undefined : `HTTP ${response.status} ${body.slice(0, 200)}`;
}
