import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../auth/context.js';
import { directiveUses } from './access-rule.js';

/** Decides one request's access to one field: an error denies it, undefined lets it resolve. */
export type Guard = (context: Pick<RequestContext, 'principal'>) => GraphQLError | undefined;

/** The arguments of each use of a directive that applies to one field, type-level uses first. */
export type DirectiveUses = ReadonlyArray<Record<string, unknown>>;

/**
 * Wraps the resolver of every object field that a directive applies to: on the field itself, on
 * its type, or on an interface the type implements or that interface's field. `makeGuard` runs
 * once per guarded field when the schema is built, so a request pays for the check only. Guarding
 * the resolver rather than the operation means aliases, fragments, interfaces and unions all pass
 * through the same check.
 */
export function guardFields(
  schema: GraphQLSchema,
  directiveName: string,
  makeGuard: (uses: DirectiveUses, coordinate: string) => Guard,
): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const uses = directiveUses(schema, typeName, fieldName, directiveName).map((use) => use.args);
      if (uses.length === 0) return fieldConfig;
      const guard = makeGuard(uses, `${typeName}.${fieldName}`);
      const resolve = fieldConfig.resolve ?? defaultFieldResolver;
      return {
        ...fieldConfig,
        resolve(source, args, context: RequestContext, info) {
          const denial = guard(context);
          if (denial) throw denial;
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
