import { pathStartOf } from "../request-meta.ts";
// Bun's HTML import: `bun build --compile` bundles the page, its script and styles into the
// binary; at run time Bun serves them itself (the page at /console, assets at hashed paths).
import consolePage from "./page/index.html";

/** Routes for `Bun.serve({ routes })`: served before Elysia's own handler sees the request. */
export const consolePageRoutes = { "/console": consolePage } as const;

/**
 * A typed or bookmarked `/console/` is sent to the page (relative: behind a path prefix too). Not a
 * route of its own: Elysia strips a route's trailing slash and would put it in the page's place, so
 * the 404 handler asks this of the paths nothing else answered.
 */
export function consoleWithoutSlash(url: string): Response | undefined {
  const path = url.slice(pathStartOf(url));
  if (path !== "/console/" && !path.startsWith("/console/?")) return undefined;
  return new Response(null, { status: 301, headers: { location: `../console${path.slice("/console/".length)}` } });
}
