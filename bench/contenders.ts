import { MessageText } from '../src/graphql/resolvers.js';
import { ADMIN, AUDIENCE } from '../test/helpers/harness.js';
import { sign, type KeySetServer, type SigningKey } from '../test/helpers/key-set-server.js';
import type { Target } from './load.js';
import { startBenchServer, startProject, type ServerProcess } from './processes.js';

/** A server setup under test, and how to ask it for the admin (or public) message. */
export interface Contender {
  /** Short key used for ratios. */
  key: 'floor' | 'peer' | 'admin' | 'public' | 'admin-uncached' | 'rest';
  label: string;
  target: Target;
  /** The process that answers, whose CPU time is read. */
  server: ServerProcess;
}

export interface Servers {
  floor: ServerProcess;
  peer: ServerProcess;
  project: ServerProcess;
  /** The same build with `TOKEN_CACHE_SIZE=0`: every request verified afresh. */
  projectUncached: ServerProcess;
  stop(): Promise<void>;
}

/** How the bench runs this project: as in production, against the bench's loopback issuer. */
export function projectEnv(issuer: string, extra: Record<string, string> = {}): Record<string, string> {
  return { NODE_ENV: 'production', AUTH0_ISSUER_BASE_URL: issuer, AUTH0_AUDIENCE: AUDIENCE, ...extra };
}

export async function startServers(issuer: string): Promise<Servers> {
  const [floor, peer, project, projectUncached] = await Promise.all([
    startBenchServer('floor.ts'),
    startBenchServer('peer.ts', [issuer, AUDIENCE]),
    startProject(projectEnv(issuer)),
    startProject(projectEnv(issuer, { TOKEN_CACHE_SIZE: '0' })),
  ]);
  return {
    floor,
    peer,
    project,
    projectUncached,
    stop: async () => void (await Promise.all([floor, peer, project, projectUncached].map((s) => s.stop()))),
  };
}

/** Signs a token like an Auth0 access token with the admin permission, valid for an hour. */
export function adminToken(idp: KeySetServer, key: SigningKey, sub = 'auth0|bench'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ iss: idp.issuer, aud: AUDIENCE, sub, iat: now, exp: now + 3600, permissions: [ADMIN] }, { key });
}

const adminJson = JSON.stringify({ text: MessageText.admin });

export function restAdmin(baseUrl: string, token: string): Target {
  return { url: `${baseUrl}/api/messages/admin`, method: 'GET', headers: { authorization: `Bearer ${token}` }, expected: adminJson };
}

export function graphqlQuery(baseUrl: string, field: 'adminMessage' | 'publicMessage', token?: string): Target {
  const text = field === 'adminMessage' ? MessageText.admin : MessageText.public;
  return {
    url: `${baseUrl}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: `{ ${field} { text } }` }),
    expected: JSON.stringify({ data: { [field]: { text } } }),
  };
}

/** Every contender, in the order of the table. */
export function contenders(servers: Servers, adminToken: string): Contender[] {
  const { floor, peer, project, projectUncached } = servers;
  return [
    { key: 'floor', label: 'floor: bare node:http, no auth', server: floor, target: { ...restAdmin(floor.url, adminToken), headers: {} } },
    { key: 'peer', label: 'peer: Express 5 + express-oauth2-jwt-bearer', server: peer, target: restAdmin(peer.url, adminToken) },
    { key: 'admin', label: 'GraphQL adminMessage, admin token', server: project, target: graphqlQuery(project.url, 'adminMessage', adminToken) },
    { key: 'public', label: 'GraphQL publicMessage, no token', server: project, target: graphqlQuery(project.url, 'publicMessage') },
    {
      key: 'admin-uncached',
      label: 'GraphQL adminMessage, TOKEN_CACHE_SIZE=0',
      server: projectUncached,
      target: graphqlQuery(projectUncached.url, 'adminMessage', adminToken),
    },
    { key: 'rest', label: 'REST /api/messages/admin (this project)', server: project, target: restAdmin(project.url, adminToken) },
  ];
}

/** Sends one request; undefined when it got exactly the expected answer, else what it got instead. */
export async function probe(target: Target): Promise<string | undefined> {
  const response = await fetch(target.url, { method: target.method, headers: target.headers, body: target.body ?? null });
  const body = await response.text();
  return response.status === 200 && body.trimEnd() === target.expected ? undefined : `HTTP ${response.status} ${body.slice(0, 200)}`;
}
