import {
  getNamedType,
  getNullableType,
  getOperationAST,
  isAbstractType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';
import { getVariableValues } from 'graphql/execution/values.js';
import type { Principal } from '../auth/principal.js';
import type { AccessDeniedError } from '../errors.js';
import { decideStatically, grants, missingFrom } from './decide.js';
import { guardedRulesOf } from './guard-schema.js';

/** One selected field the token would be denied. */
export interface Denial {
  /** Where it would be in the response, aliases included and list indices left out, e.g. `reports.owner`. */
  path: string;
  /** The field whose rule denies it, `Type.field`; through an interface or union, the concrete type. */
  field: string;
  code: AccessDeniedError['code'];
  /** The rule's alternatives, each with the permissions the token lacks for it. */
  alternatives: Array<{ required: string[]; missing: string[] }>;
}

/** A selected field whose policies decide at run time, once the data is there. */
export interface RuntimeDecision {
  path: string;
  field: string;
  policies: string[];
}

export interface OperationAnalysis {
  denials: Denial[];
  runtime: RuntimeDecision[];
}

/**
 * Which selected fields `principal` would be denied, without executing anything. Fields are
 * collected by graphql-js's own `collectFields`, as execution collects them, so `@skip` and
 * `@include` (with the operation's variables), fragments and aliases count exactly as they will.
 * A field of an interface or union is judged for each concrete type it could be, except the types
 * a list leaves out because their own rule denies the token (see `guard-schema.ts`). Below a
 * denied field nothing is judged, as nothing there would run. Policies cannot be decided here:
 * their fields are listed as decided at run time, and what is below them is judged as if allowed.
 *
 * Throws the first error when the variables do not fit the operation.
 */
export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  principal: Principal | null,
  { operationName, variables = {} }: { operationName?: string | null | undefined; variables?: Readonly<Record<string, unknown>> | undefined } = {},
): OperationAnalysis {
  const operation = getOperationAST(document, operationName);
  if (!operation) throw new Error(operationName ? `No operation named "${operationName}"` : 'The document must name one operation');
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw coerced.errors[0]!;
  const variableValues = coerced.coerced;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  // The guards' own rules: every field's, and every type's that a list of an interface or union can leave out.
  const rules = guardedRulesOf(schema);
  const denials = new Map<string, Denial>();
  const runtime = new Map<string, RuntimeDecision>();

  function visit(type: GraphQLObjectType, fields: Map<string, readonly FieldNode[]>, path: readonly string[]): void {
    for (const [responseName, nodes] of fields) {
      const fieldName = nodes[0]!.name.value;
      if (fieldName.startsWith('__')) continue;
      const fieldPath = [...path, responseName].join('.');
      const rule = rules.get(`${type.name}.${fieldName}`)!;
      const denial = decideStatically(rule, principal);
      if (denial) {
        const missing = missingFrom(rule, principal);
        const alternatives = rule.anyOf.map((required, index) => ({ required, missing: missing[index]! }));
        denials.set(`${fieldPath} ${rule.field}`, { path: fieldPath, field: rule.field, code: denial.code, alternatives });
        continue;
      }
      if (rule.policies.length > 0) runtime.set(`${fieldPath} ${rule.field}`, { path: fieldPath, field: rule.field, policies: rule.policies });
      const fieldType = type.getFields()[fieldName]!.type;
      const returned = getNamedType(fieldType);
      if (isObjectType(returned)) {
        visit(returned, collectSubfields(schema, fragments, variableValues, returned, nodes), [...path, responseName]);
      } else if (isAbstractType(returned)) {
        const inList = isListType(getNullableType(fieldType));
        for (const possible of schema.getPossibleTypes(returned)) {
          if (inList && !grants(rules.get(possible.name)!, principal)) continue;
          visit(possible, collectSubfields(schema, fragments, variableValues, possible, nodes), [...path, responseName]);
        }
      }
    }
  }

  const root = schema.getRootType(operation.operation)!;
  visit(root, collectFields(schema, fragments, variableValues, root, operation.selectionSet), []);
  return { denials: [...denials.values()], runtime: [...runtime.values()] };
}
