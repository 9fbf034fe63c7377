import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin, GraphQLResponse, HTTPGraphQLHead } from '@apollo/server';
import { GraphQLError, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import type { Caller } from './caller-identity.js';

/** A GraphQL request whose caller is known and whose cost is not yet. */
interface PendingCharge {
  caller: Caller;
  res: ServerResponse | undefined;
}

/**
 * Where a request's context carries its pending charge: a symbol-keyed property, because Apollo
 * hands plugins a shallow copy of the context (`Object.assign`, which copies it), not the object
 * the context builder returned.
 */
const PENDING = Symbol('pending rate-limit charge');

type ChargedContext = RequestContext & { [PENDING]?: PendingCharge };

/** Leaves the charge on the context for `graphqlCharging` to settle once the cost is known. */
export function holdCharge(context: RequestContext, pending: PendingCharge): void {
  (context as ChargedContext)[PENDING] = pending;
}

export interface ChargingOptions {
  pointsOf(operation: OperationDefinitionNode | undefined): number;
  /** Charges `points`, writes the headers on `res`; throws the GraphQLError to answer when refused. */
  settle(caller: Caller, points: number, res: ServerResponse | undefined): Promise<void>;
}

/**
 * Charges each GraphQL request once. An operation that passed validation is charged its points
 * just before it executes (`responseForOperation`, which may answer in its place); one refused
 * before that (syntax, validation, reject mode) is charged 1 as its answer leaves, and answered
 * 429 instead if that 1 point is over the quota.
 */
export function graphqlCharging({ pointsOf, settle }: ChargingOptions): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const pending = (contextValue as ChargedContext)[PENDING];
      if (!pending) return undefined;
      let charged = false;
      const refusalFor = async (points: number): Promise<GraphQLResponse | null> => {
        charged = true;
        try {
          await settle(pending.caller, points, pending.res);
          return null;
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          return responseOf(error);
        }
      };
      return {
        responseForOperation: ({ operation }) => refusalFor(pointsOf(operation)),
        async willSendResponse({ response }) {
          if (charged) return;
          const refusal = await refusalFor(1);
          if (!refusal) return;
          response.body = refusal.body;
          response.http.status = refusal.http.status;
          for (const [name, value] of refusal.http.headers) response.http.headers.set(name, value);
        },
      };
    },
  };
}

/** The answer to a refused request: its status and headers, one error, no data. */
function responseOf(error: GraphQLError): GraphQLResponse {
  const { http, ...extensions } = error.extensions as { http: HTTPGraphQLHead };
  return { http, body: { kind: 'single', singleResult: { errors: [{ message: error.message, extensions }] } } };
}
