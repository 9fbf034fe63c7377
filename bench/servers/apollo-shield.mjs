/**
 * GraphQL peer: Apollo Server 5 on Express 5 as Apollo's docs set it up, the token checked by
 * `express-oauth2-jwt-bearer` (optional, so anonymous requests reach GraphQL), and the rules by
 * graphql-shield through graphql-middleware.
 */
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { applyMiddleware } from 'graphql-middleware';
import { and, rule, shield } from 'graphql-shield';
import { ADMIN, issuerAndAudience, printPort, resolvers } from './messages.mjs';

const { issuer, audience, jwksUri } = issuerAndAudience();
const typeDefs = `
  type Message { text: String! }
  type Query { publicMessage: Message  protectedMessage: Message  adminMessage: Message }
`;
const isAuthenticated = rule()((_parent, _args, context) => context.auth !== undefined);
const canReadAdminMessages = rule()((_parent, _args, context) => context.auth?.payload.permissions?.includes(ADMIN) === true);
const permissions = shield({ Query: { protectedMessage: isAuthenticated, adminMessage: and(isAuthenticated, canReadAdminMessages) } });

const apollo = new ApolloServer({ schema: applyMiddleware(makeExecutableSchema({ typeDefs, resolvers }), permissions) });
await apollo.start();
const app = express();
app.use(
  '/graphql',
  express.json(),
  auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256', authRequired: false }),
  expressMiddleware(apollo, { context: async ({ req }) => ({ auth: req.auth }) }),
);
const server = app.listen(0, '127.0.0.1', () => printPort(server));
