/**
 * The peer users compare us with: Express 5 and Auth0's `express-oauth2-jwt-bearer`, as its README
 * sets it up, serving the seed's `GET /api/messages/admin`. It trusts the same loopback issuer and
 * gets the same tokens as this project. Prints its port.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth, claimIncludes } from 'express-oauth2-jwt-bearer';
import { MessageText } from '../../src/graphql/resolvers.js';

const [issuer, audience] = process.argv.slice(2);
if (!issuer || !audience) throw new Error('usage: peer.ts <issuer> <audience>');

const app = express();
app.disable('x-powered-by');
app.get(
  '/api/messages/admin',
  auth({ issuer, audience, jwksUri: new URL('.well-known/jwks.json', issuer).href, tokenSigningAlg: 'RS256' }),
  claimIncludes('permissions', 'read:admin-messages'),
  (_req, res) => {
    res.json({ text: MessageText.admin });
  },
);
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
