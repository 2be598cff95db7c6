import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type GraphQLSchema } from 'graphql';
import { READ_ONLY_ALLOWED_MUTATIONS } from '../modules/billing/billing.access.js';
import type { GraphQLContext } from './context.js';
import { formatError } from './format-error.js';
import { enforce, measure, type QueryLimits } from './limits.js';

function limitsPlugin(limits: QueryLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) return;
          const fragments = Object.fromEntries(
            document.definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]),
          );
          enforce(measure(operation, fragments, request.variables ?? {}), limits);
        },
      };
    },
  };
}

/**
 * Billing state per request, from what authentication read: a read-only tenant's mutations are refused before
 * anything runs (402, PLAN_LIMIT_EXCEEDED with reason "billing"); a tenant in its grace period or read-only gets
 * a warning in the response's extensions on every answer, so integrations can surface it.
 */
function billingPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const a = contextValue.billing;
          if (!a || a.mode !== 'read_only' || operation?.operation !== 'mutation') return;
          const fields = operation.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : null));
          if (fields.every((f) => f !== null && (f === '__typename' || READ_ONLY_ALLOWED_MUTATIONS.has(f)))) return;
          throw new GraphQLError(
            `The tenant is read-only because ${a.reason}. Queries still work and no data is hidden or deleted; pay (createBillingPortalSession) or subscribe (createCheckoutSession) to make changes again`,
            {
              extensions: {
                code: 'PLAN_LIMIT_EXCEEDED',
                reason: 'billing',
                subscriptionStatus: a.status,
                plan: a.plan.code,
                graceEndedAt: a.graceEndsAt?.toISOString() ?? null,
                http: { status: 402 },
              },
            },
          );
        },
        async willSendResponse({ response, contextValue }) {
          const a = contextValue.billing;
          if (!a || a.mode === 'full' || response.body.kind !== 'single') return;
          const r = response.body.singleResult;
          r.extensions = {
            ...r.extensions,
            billing: { mode: a.mode === 'grace' ? 'GRACE' : 'READ_ONLY', subscriptionStatus: a.status, graceEndsAt: a.graceEndsAt?.toISOString() ?? null, warning: a.reason },
          };
        },
      };
    },
  };
}

export async function createApollo(schema: GraphQLSchema, limits: QueryLimits, production: boolean): Promise<ApolloServer<GraphQLContext>> {
  const server = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    plugins: [limitsPlugin(limits), billingPlugin()],
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // Keys are bearer tokens, not cookies, but preflight-forcing costs nothing for API clients.
    csrfPrevention: true,
    hideSchemaDetailsFromClientErrors: production,
  });
  await server.start();
  return server;
}
