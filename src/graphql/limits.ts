import { GraphQLError, Kind, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { MAX_PAGE } from './pagination.js';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

export interface QueryMeasure {
  depth: number;
  aliases: number;
  cost: number;
}

/** Default page size assumed for a list argument the client did not give. */
const DEFAULT_FIRST = 20;

/**
 * The page size a `first` argument asks for, as a multiplier: within 1..MAX_PAGE, because a larger value is
 * refused by the resolver anyway, and a zero or negative one must never lower the cost of its siblings.
 */
function firstArg(field: FieldNode, variables: Record<string, unknown>): number | null {
  const arg = field.arguments?.find((a) => a.name.value === 'first');
  if (!arg) return null;
  const v: ValueNode = arg.value;
  let n = DEFAULT_FIRST;
  if (v.kind === Kind.INT) n = Number(v.value);
  else if (v.kind === Kind.VARIABLE) {
    const x = variables[v.name.value];
    if (typeof x === 'number' && Number.isFinite(x)) n = x;
  }
  return Math.min(Math.max(Math.trunc(n), 1), MAX_PAGE);
}

/**
 * Depth, aliases and cost of one operation, with fragments expanded. Cost: every field costs 1, and a field
 * taking `first` multiplies what is selected beneath it, so `debtors(first: 100) { edges { node { emails } } }`
 * costs what it would make the server do. Introspection (`__schema`, `__type`) is not counted.
 */
export function measure(op: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>, variables: Record<string, unknown>): QueryMeasure {
  let aliases = 0;
  let maxDepth = 0;

  function walk(set: SelectionSetNode, depth: number, seen: Set<string>): number {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) continue;
        if (sel.alias) aliases++;
        maxDepth = Math.max(maxDepth, depth);
        const mult = firstArg(sel, variables) ?? 1;
        cost += 1 + (sel.selectionSet ? mult * walk(sel.selectionSet, depth + 1, seen) : 0);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(sel.selectionSet, depth, seen);
      } else {
        const name = sel.name.value;
        const frag = fragments[name];
        if (!frag || seen.has(name)) continue; // cycles are refused by validation; never loop here
        cost += walk(frag.selectionSet, depth, new Set([...seen, name]));
      }
    }
    return cost;
  }

  const cost = walk(op.selectionSet, 1, new Set());
  return { depth: maxDepth, aliases, cost };
}

export function enforce(m: QueryMeasure, limits: QueryLimits): void {
  const fail = (what: string, value: number, max: number) =>
    new GraphQLError(`Query ${what} ${value} exceeds the limit of ${max}`, {
      extensions: { code: 'BAD_USER_INPUT', limit: what, value, max, http: { status: 400 } },
    });
  if (m.depth > limits.maxDepth) throw fail('depth', m.depth, limits.maxDepth);
  if (m.aliases > limits.maxAliases) throw fail('aliases', m.aliases, limits.maxAliases);
  if (m.cost > limits.maxCost) throw fail('cost', m.cost, limits.maxCost);
}
