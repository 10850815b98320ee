// Bun's HTML import: `bun build --compile` bundles the page, its script and styles into the
// binary; at run time Bun serves them itself (the page at /console, assets at hashed paths).
import consolePage from "./page/index.html";

/** Routes for `Bun.serve({ routes })`: served before Elysia's own handler sees the request. */
export const consolePageRoutes = { "/console": consolePage } as const;
