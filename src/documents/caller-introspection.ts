import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { RequestContext } from '../auth/context.js';
import type { Principal } from '../auth/principal.js';
import { accessRules } from '../directives/access-rule.js';
import { ErrorCode, httpStatusOf } from '../errors.js';
import { callerSchema } from './caller-schema.js';

/** One caller's schema, and its SDL for `/schema.graphql`, printed once. */
export interface CallerView {
  schema: GraphQLSchema;
  sdl: string;
}

/**
 * Each caller's view, cached by what decides it: whether there is a token, and which of the
 * permissions the rules name it grants. Other permissions a token carries change nothing, so the
 * cache holds at most one view per combination of the schema's own permissions (bounded besides).
 * A caller who may read no query field at all has no schema left to see (one without a query type
 * is not valid), and gets the refusal a guarded field would give it instead.
 */
export function callerViews(schema: GraphQLSchema): (principal: Principal | null) => CallerView | GraphQLError {
  const named = [...new Set(accessRules(schema).flatMap((rule) => rule.anyOf.flat()))].sort();
  const views = new LRUCache<string, CallerView | GraphQLError>({ max: 256 });
  return (principal) => {
    const key = principal ? `token:${named.filter((permission) => principal.permissions.has(permission)).join(' ')}` : 'anonymous';
    let view = views.get(key);
    if (!view) {
      const filtered = callerSchema(schema, principal);
      view = filtered.getQueryType() ? { schema: filtered, sdl: `${printSchemaWithDirectives(filtered)}\n` } : nothingVisible(principal);
      views.set(key, view);
    }
    return view;
  };
}

function nothingVisible(principal: Principal | null): GraphQLError {
  const code = principal ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHENTICATED;
  return new GraphQLError('No part of this schema is visible to this caller.', { extensions: { code, http: { status: httpStatusOf[code] } } });
}

const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type']);

/** The view an operation runs on, for one caller; HTTP and WebSocket ask the same question. */
export type OperationSchema = (principal: Principal | null, document: DocumentNode, operationName: string | null | undefined) => GraphQLSchema | GraphQLError;

/**
 * `GRAPHQL_INTROSPECTION=per-caller`: an operation that asks for `__schema` or `__type` runs on
 * the caller's own view, so tools (Apollo Sandbox, codegen) see only what that token could read;
 * any other runs on the full schema. An operation that asks for both is refused, as its other
 * fields would then run on the view, where what the caller may not see does not exist.
 */
export function operationSchema(schema: GraphQLSchema, viewOf: (principal: Principal | null) => CallerView | GraphQLError): OperationSchema {
  return (principal, document, operationName) => {
    const operation = getOperationAST(document, operationName);
    if (!operation) return schema;
    const roots = rootFieldNames(operation.selectionSet, fragmentsOf(document));
    if (!roots.some((name) => INTROSPECTION_ROOTS.has(name))) return schema;
    if (roots.some((name) => !INTROSPECTION_ROOTS.has(name) && name !== '__typename')) {
      return new GraphQLError('Introspection must be an operation of its own: ask for __schema or __type without other fields.', {
        extensions: { code: ErrorCode.BAD_REQUEST, http: { status: httpStatusOf[ErrorCode.BAD_REQUEST], headers: new HeaderMap() } },
      });
    }
    const view = viewOf(principal);
    return view instanceof GraphQLError ? view : view.schema;
  };
}

/** Per-caller introspection over HTTP: Apollo runs the operation unless the caller's view must answer it. */
export function perCallerIntrospectionPlugin(schema: GraphQLSchema, schemaOf: OperationSchema): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let view: GraphQLSchema | undefined;
      return {
        // Apollo answers an error thrown here with its status; from `responseForOperation` it would be a 500.
        async didResolveOperation({ document, request, contextValue }) {
          const chosen = schemaOf(contextValue.principal, document, request.operationName);
          if (chosen instanceof GraphQLError) throw chosen;
          if (chosen !== schema) view = chosen;
        },
        async responseForOperation({ document, request, contextValue }) {
          if (!view) return null;
          const result = await execute({
            schema: view,
            document,
            operationName: request.operationName ?? null,
            variableValues: request.variables ?? null,
            contextValue,
          });
          const errors = result.errors?.map((error) => error.toJSON());
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: result.data, ...(errors ? { errors } : {}) } } };
        },
      };
    },
  };
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]));
}

/** The root fields an operation selects, through its fragments; `@skip` and `@include` are not consulted. */
function rootFieldNames(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldNames(selection.selectionSet, fragments, seen);
    const fragment = fragments.get(selection.name.value);
    if (!fragment || seen.has(fragment.name.value)) return [];
    seen.add(fragment.name.value);
    return rootFieldNames(fragment.selectionSet, fragments, seen);
  });
}
