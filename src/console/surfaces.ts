/** The playground's surfaces and the route each needs; the page offers the ones the app serves. */
const SURFACE_ROUTES = [
  { surface: "chat", method: "POST", path: "/v1/chat/completions" },
  { surface: "responses", method: "POST", path: "/v1/responses" },
  { surface: "messages", method: "POST", path: "/v1/messages" },
] as const;

export type PlaygroundSurface = (typeof SURFACE_ROUTES)[number]["surface"];

export function servedSurfaces(routes: readonly { method: string; path: string }[]): PlaygroundSurface[] {
  return SURFACE_ROUTES.filter((s) => routes.some((r) => r.method === s.method && r.path === s.path)).map((s) => s.surface);
}
