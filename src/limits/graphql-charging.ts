import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin, GraphQLRequestListener, GraphQLResponse, HTTPGraphQLHead } from '@apollo/server';
import { GraphQLError, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import type { Caller } from './caller-identity.js';

/**
 * One request's charge, from the moment a charged route receives it: where its answer goes (for
 * the headers), its caller once the context knows it, and whether it has been charged yet.
 */
export interface RequestCharge {
  res: ServerResponse | undefined;
  caller: Caller | undefined;
  paid: boolean;
}

/**
 * Where a request's context carries its charge: a symbol-keyed property, because Apollo hands
 * plugins a shallow copy of the context (`Object.assign`, which copies it), not the object the
 * context builder returned. Copies share the one `RequestCharge`, so `paid` is seen by all.
 */
const PENDING = Symbol('pending rate-limit charge');

type ChargedContext = RequestContext & { [PENDING]?: RequestCharge };

/** Leaves the charge, its caller known, on the context for `graphqlCharging` to settle once the cost is known. */
export function holdCharge(context: RequestContext, charge: RequestCharge): void {
  (context as ChargedContext)[PENDING] = charge;
}

export interface ChargingOptions {
  pointsOf(operation: OperationDefinitionNode | undefined): number;
  /** Charges `points` to the held caller and marks it paid, writes the headers; throws the GraphQLError to answer when refused. */
  settle(charge: RequestCharge, points: number): Promise<void>;
}

/**
 * Charges an operation that passed validation its points, just before it executes
 * (`responseForOperation`, which may answer in its place). A request answered before that
 * (syntax, validation, reject mode, or refused before Apollo looked at it) is charged 1 by the
 * route, through `RateLimits.chargeUnpaid`, as its answer leaves. One listener for every request:
 * the charge rides on the context, so nothing is allocated per request here.
 */
export function graphqlCharging({ pointsOf, settle }: ChargingOptions): ApolloServerPlugin<RequestContext> {
  const listener: GraphQLRequestListener<RequestContext> = {
    async responseForOperation({ contextValue, operation }) {
      const charge = (contextValue as ChargedContext)[PENDING];
      if (!charge || charge.paid) return null;
      try {
        await settle(charge, pointsOf(operation));
        return null;
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return responseOf(error);
      }
    },
  };
  return {
    requestDidStart: async ({ contextValue }) => ((contextValue as ChargedContext)[PENDING] ? listener : undefined),
  };
}

/** The answer to a refused request: its status and headers, one error, no data. */
function responseOf(error: GraphQLError): GraphQLResponse {
  const { http, ...extensions } = error.extensions as { http: HTTPGraphQLHead };
  return { http, body: { kind: 'single', singleResult: { errors: [{ message: error.message, extensions }] } } };
}
