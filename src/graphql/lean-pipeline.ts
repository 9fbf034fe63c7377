import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';

/**
 * What every response of this API gets from Apollo's cache-control plugin, since no field
 * carries a `@cacheControl` hint: nothing here may be stored by a cache.
 */
export const CACHE_CONTROL = 'no-store';

/**
 * Sets `cache-control: no-store` on every GraphQL response, exactly as Apollo's cache-control plugin
 * does for an API without cache hints, but with one hook per response instead of one per field.
 */
const noStorePlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', CACHE_CONTROL);
      },
    };
  },
};

/**
 * Plugins that keep per-request work in Apollo's pipeline to what this API uses. Apollo installs
 * two plugins by default that cost every request and do nothing for it:
 *
 * - cache control, whose `willResolveField` hook makes Apollo wrap every field resolver, to
 *   compute a policy that is always "do not cache" here (no `@cacheControl` in the schema);
 * - inline tracing, which only ever acts for a federated subgraph, and this is not one.
 *
 * Measured with `npm run bench`; see the README's Performance section.
 */
export function leanPipelinePlugins(): Array<ApolloServerPlugin<BaseContext>> {
  return [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginInlineTraceDisabled(), noStorePlugin];
}
