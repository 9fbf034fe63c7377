/**
 * GraphQL peer: GraphQL Yoga 5 on `node:http`, the token checked by `@graphql-yoga/plugin-jwt`
 * against the remote key set, and the rules by `@envelop/generic-auth`'s directives.
 */
import { createServer } from 'node:http';
import { useGenericAuth } from '@envelop/generic-auth';
import { createRemoteJwksSigningKeyProvider, extractFromHeader, useJWT } from '@graphql-yoga/plugin-jwt';
import { createSchema, createYoga } from 'graphql-yoga';
import { ADMIN, issuerAndAudience, printPort, resolvers } from './messages.mjs';

const { issuer, audience, jwksUri } = issuerAndAudience();
const typeDefs = `
  directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE
  directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE
  type Message { text: String! }
  type Query {
    publicMessage: Message
    protectedMessage: Message @authenticated
    adminMessage: Message @requiresScopes(scopes: [["${ADMIN}"]])
  }
`;
const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers }),
  plugins: [
    useJWT({
      signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri })],
      tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'Bearer' })],
      tokenVerification: { issuer, audience, algorithms: ['RS256'] },
      reject: { missingToken: false, invalidToken: true },
    }),
    useGenericAuth({
      mode: 'protect-granular',
      resolveUserFn: (context) => context.jwt?.payload ?? null,
      extractScopes: (user) => user?.permissions ?? [],
    }),
  ],
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => printPort(server));
