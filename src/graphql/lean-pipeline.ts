import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';

/**
 * Plugins that keep per-request work in Apollo's pipeline to what this API uses. Apollo installs
 * two plugins by default that cost every request and do nothing for it:
 *
 * - cache control, whose `willResolveField` hook makes Apollo wrap every field resolver, to
 *   compute a policy that is always "do not cache" here (no `@cacheControl` in the schema). It
 *   would also replace the seed's `cache-control` header, which every response carries already
 *   (`security-headers.ts`), with its own `no-store`;
 * - inline tracing, which only ever acts for a federated subgraph, and this is not one.
 *
 * Measured with `npm run bench`; see bench/README.md.
 */
export function disableUnusedDefaultPlugins(): Array<ApolloServerPlugin<BaseContext>> {
  return [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginInlineTraceDisabled()];
}
