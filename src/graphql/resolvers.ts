import type { Resolvers } from '../generated/graphql.js';
import { messageFeed } from '../subscriptions/message-feed.js';

/** The seed's messages, word for word. Access is decided by the schema's directives, not here. */
export const MessageText = {
  public: 'This is a public message.',
  protected: 'This is a protected message.',
  admin: 'This is an admin message.',
} as const;

/** The owner named on reports; reading it needs a token, as the `Report` interface says. */
export const REPORT_OWNER = 'messages-team';

/** The notes behind `Query.notes`; the `noteOwnerOrAdmin` policy compares `owner` with the token's `sub`. */
export const NOTES = [
  { id: '1', title: 'Release plan', owner: 'auth0|tester', body: 'Ship on Friday.' },
  { id: '2', title: 'Key rotation', owner: 'auth0|operator', body: 'Rotate the signing key monthly.' },
] as const;

function messageReport() {
  return { __typename: 'MessageReport' as const, title: 'Messages', owner: REPORT_OWNER, messageCount: Object.keys(MessageText).length };
}

function adminStats() {
  return {
    __typename: 'AdminStats' as const,
    title: 'Administration',
    owner: REPORT_OWNER,
    uptimeSeconds: Math.floor(process.uptime()),
    adminMessageCount: 1,
  };
}

export const resolvers: Resolvers = {
  Query: {
    publicMessage: () => ({ text: MessageText.public }),
    protectedMessage: () => ({ text: MessageText.protected }),
    adminMessage: () => ({ text: MessageText.admin }),
    reports: () => [messageReport(), adminStats()],
    featured: () => [{ __typename: 'Message', text: MessageText.public }, adminStats()],
    messageCount: () => Object.keys(MessageText).length,
    notes: () => NOTES.map((note) => ({ ...note })),
  },
  Subscription: {
    publicMessageFeed: { subscribe: () => messageFeed('publicMessageFeed', MessageText.public) },
    adminMessageFeed: { subscribe: () => messageFeed('adminMessageFeed', MessageText.admin) },
  },
};
