/**
 * The REST peer: Express 5 and Auth0's `express-oauth2-jwt-bearer`, as its README sets it up,
 * serving the seed's `GET /api/messages/admin`.
 */
import express from 'express';
import { auth, claimIncludes } from 'express-oauth2-jwt-bearer';
import { ADMIN, MESSAGES, issuerAndAudience, printPort } from './messages.mjs';

const { issuer, audience, jwksUri } = issuerAndAudience();
const app = express();
app.disable('x-powered-by');
app.get('/api/messages/admin', auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' }), claimIncludes('permissions', ADMIN), (_req, res) => {
  res.json({ text: MESSAGES.adminMessage });
});
const server = app.listen(0, '127.0.0.1', () => printPort(server));
