import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
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

export async function createApollo(schema: GraphQLSchema, limits: QueryLimits, production: boolean): Promise<ApolloServer<GraphQLContext>> {
  const server = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    plugins: [limitsPlugin(limits)],
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // Keys are bearer tokens, not cookies, but preflight-forcing costs nothing for API clients.
    csrfPrevention: true,
    hideSchemaDetailsFromClientErrors: production,
  });
  await server.start();
  return server;
}
