/**
 * GraphQL peer: Fastify 5 with mercurius, the token checked by `@fastify/jwt` with keys from
 * `get-jwks` (the pairing @fastify/jwt's README shows), and the rules by mercurius-auth's
 * `@auth` directive.
 */
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import buildGetJwks from 'get-jwks';
import mercurius from 'mercurius';
import mercuriusAuth from 'mercurius-auth';
import { ADMIN, issuerAndAudience, printPort, resolvers } from './messages.mjs';

const { issuer, audience } = issuerAndAudience();
const schema = `
  directive @auth(requires: String) on FIELD_DEFINITION
  type Message { text: String! }
  type Query {
    publicMessage: Message
    protectedMessage: Message @auth
    adminMessage: Message @auth(requires: "${ADMIN}")
  }
`;
const getJwks = buildGetJwks({ issuersWhitelist: [issuer] });
const app = Fastify();
app.register(fastifyJwt, {
  decode: { complete: true },
  secret: (_request, token) => getJwks.getPublicKey({ kid: token.header.kid, domain: token.payload.iss, alg: token.header.alg }),
  verify: { allowedIss: issuer, allowedAud: audience, algorithms: ['RS256'] },
});
app.register(mercurius, { schema, resolvers });
app.register(mercuriusAuth, {
  authDirective: 'auth',
  // No header is an anonymous request; a bad token fails here, before any field runs.
  async authContext(context) {
    const request = context.reply.request;
    if (request.headers.authorization === undefined) return { permissions: null };
    const payload = await request.jwtVerify();
    return { permissions: payload.permissions ?? [] };
  },
  async applyPolicy(directive, _parent, _args, context) {
    if (context.auth.permissions === null) return false;
    const requires = directive.arguments.find((argument) => argument.name.value === 'requires')?.value.value;
    return requires === undefined || context.auth.permissions.includes(requires);
  },
});
await app.listen({ port: 0, host: '127.0.0.1' });
printPort(app.server);
