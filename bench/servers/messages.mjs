/** The seed's messages and GraphQL types, shared by the peers; the bench checks every body against the project's own. */
export const MESSAGES = {
  publicMessage: 'This is a public message.',
  protectedMessage: 'This is a protected message.',
  adminMessage: 'This is an admin message.',
};

export const ADMIN = 'read:admin-messages';

export const resolvers = {
  Query: Object.fromEntries(Object.entries(MESSAGES).map(([field, text]) => [field, () => ({ text })])),
};

/** Every server prints its port once it listens, for `processes.ts`. */
export function printPort(server) {
  process.stdout.write(`${server.address().port}\n`);
}

export function issuerAndAudience() {
  const [issuer, audience] = process.argv.slice(2);
  if (!issuer || !audience) throw new Error('usage: <server>.mjs <issuer> <audience>');
  return { issuer, audience, jwksUri: new URL('.well-known/jwks.json', issuer).href };
}
