import type { Resolvers } from '../generated/graphql.js';

/** The seed's messages, word for word. Access is decided by the schema's directives, not here. */
export const MessageText = {
  public: 'This is a public message.',
  protected: 'This is a protected message.',
  admin: 'This is an admin message.',
} as const;

export const resolvers: Resolvers = {
  Query: {
    publicMessage: () => ({ text: MessageText.public }),
    protectedMessage: () => ({ text: MessageText.protected }),
    adminMessage: () => ({ text: MessageText.admin }),
  },
};
