import { Kind, parse, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { ManifestOperation } from '../documents/index.js';
import type { AccessRule } from '../directives/access-rule.js';
import type { Denial } from '../directives/operation-analysis.js';
import { explain } from './explain.js';

/** Who may run one client operation in full, worked out from its fields' rules before it is ever sent. */
export interface OperationAccess {
  operation: string;
  id: string;
  /** As for a field: `public` runs without a token, `authenticated` with any token, else one of `anyOf`. */
  access: AccessRule['access'];
  /** The smallest permission sets that each let the whole operation run, as alternatives. */
  anyOf: string[][];
  /** What a caller loses without a token, and without each permission of a set in `anyOf`: `path (Type.field)`. */
  without: Record<string, string[]>;
  /** Fields that policies decide at run time, whatever the token: `path (Type.field): policy:name`. */
  runtime: string[];
}

/** The key of `without` for a caller with no token at all. */
export const NO_TOKEN = 'token';

/** Beyond this many permissions in play, trying every combination would take too long. */
const MAX_PERMISSIONS = 12;

/**
 * Each operation's access: the same analysis `explain` and reject mode use, run for the callers
 * that matter. The permissions in play are found by granting what each denial asks for until
 * nothing is denied; then every combination of them is tried, smallest first, and those with no
 * smaller working combination inside are the alternatives. `@skip` and `@include` are taken as
 * selecting, so the answer covers every variable value. As at run time, an item of a list of an
 * interface or union whose own type denies the caller is left out, not denied.
 */
export function operationAccess(schema: GraphQLSchema, operations: readonly ManifestOperation[]): OperationAccess[] {
  return operations.map(({ id, name, body }) => {
    const document = everythingSelected(parse(body));
    const denials = (permissions: readonly string[] | null) => explain(document, permissions && { sub: 'authz', permissions: [...permissions] }, { schema });
    const inPlay = permissionsInPlay((permissions) => denials(permissions).denials);
    const anonymous = denials(null);
    const anyOf: string[][] = [];
    for (const set of subsetsBySize(inPlay)) {
      if (anyOf.some((found) => found.every((permission) => set.includes(permission)))) continue;
      if (denials(set).denials.length === 0) anyOf.push(set);
    }
    const access = anonymous.denials.length === 0 ? 'public' : anyOf.some((set) => set.length === 0) ? 'authenticated' : 'permissions';
    const without: Record<string, string[]> = {};
    if (access !== 'public') without[NO_TOKEN] = anonymous.denials.map(describe);
    for (const set of access === 'permissions' ? anyOf : []) {
      for (const permission of set) {
        const lost = denials(set.filter((other) => other !== permission)).denials.map(describe);
        without[permission] = [...new Set([...(without[permission] ?? []), ...lost])];
      }
    }
    // Under a caller who may run it all, so that policies below guarded fields are listed too.
    const full = anonymous.denials.length === 0 ? anonymous : denials(anyOf[0] ?? inPlay);
    const runtime = full.runtime.map(
      ({ path, field, policies }) => `${path} (${field}): ${policies.map((policy) => `policy:${policy}`).join(' AND ')}`,
    );
    return { operation: name ?? operationName(document) ?? id, id, access, anyOf: access === 'permissions' ? anyOf : [], without, runtime };
  });
}

function describe({ path, field }: Denial): string {
  return `${path} (${field})`;
}

/** Grants what every alternative of each denial asks for, until nothing is denied. */
function permissionsInPlay(denialsWith: (permissions: readonly string[]) => readonly Denial[]): string[] {
  const granted = new Set<string>();
  for (;;) {
    const asked = denialsWith([...granted]).flatMap((denial) => denial.alternatives.flatMap((alternative) => alternative.required));
    const fresh = asked.filter((permission) => !granted.has(permission));
    if (fresh.length === 0) return [...granted].sort();
    for (const permission of fresh) granted.add(permission);
    if (granted.size > MAX_PERMISSIONS) throw new Error(`An operation with more than ${MAX_PERMISSIONS} permissions in play is not analysed`);
  }
}

/** Every subset of `items`, the empty one first, then by size. */
function subsetsBySize(items: readonly string[]): string[][] {
  const all = Array.from({ length: 2 ** items.length }, (_, mask) => items.filter((_item, index) => mask & (1 << index)));
  return all.sort((a, b) => a.length - b.length);
}

/** The document with `@skip` and `@include` removed and no variables declared: everything it could select. */
function everythingSelected(document: DocumentNode): DocumentNode {
  return visit(document, {
    Directive: (node) => (node.name.value === 'skip' || node.name.value === 'include' ? null : undefined),
    OperationDefinition: (node) => ({ ...node, variableDefinitions: [] }),
  });
}

function operationName(document: DocumentNode): string | undefined {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? operation.name?.value : undefined;
}

/** The report for a terminal: each operation, who may run it, and what each missing permission costs. */
export function formatOperationAccess(report: readonly OperationAccess[]): string {
  return report
    .map(({ operation, id, access, anyOf, without, runtime }) => {
      const runs = access === 'permissions' ? anyOf.map((set) => set.join(' AND ')).join(' OR ') : access === 'public' ? 'anyone, without a token' : 'any valid token';
      const lines = [`${operation} (${id})`, `  runs in full with: ${runs}`];
      for (const [missing, lost] of Object.entries(without)) {
        lines.push(`  without ${missing === NO_TOKEN ? 'a token' : missing}: ${lost.length > 0 ? `denied ${lost.join(', ')}` : 'nothing denied'}`);
      }
      for (const line of runtime) lines.push(`  decided at run time: ${line}`);
      return lines.join('\n');
    })
    .join('\n\n')
    .concat('\n');
}
