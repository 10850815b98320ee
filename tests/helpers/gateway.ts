import type { PluginDefinition } from "../../src/kit.ts";
import { createGateway, type Gateway, type StartOptions } from "../../src/server.ts";

export interface TestGateway {
  gateway: Gateway;
  /** Base URL of the listening server, e.g. http://127.0.0.1:40123 */
  url: string;
  /** `app.handle` with a path (no port, no server). */
  handle(path: string, init?: RequestInit): Promise<Response>;
  logs: string[];
  close(): Promise<void>;
}

/**
 * Starts a gateway in this process on a free loopback port. `env` is the whole environment the
 * gateway sees (nothing from the test runner's environment leaks in); `builtins` replaces the
 * built-in plugin list when given.
 */
export async function startTestGateway(
  env: Record<string, string> = {},
  builtins?: readonly PluginDefinition[],
  /** More start options (e.g. a background response's lease timing). */
  options: Partial<Omit<StartOptions, "env" | "builtins" | "write">> = {},
): Promise<TestGateway> {
  const logs: string[] = [];
  const gateway = await createGateway({
    env: { PORT: "0", LOG_LEVEL: "warn", ...env },
    builtins,
    write: (line) => void logs.push(line),
    discoveryTimeoutMs: 3000,
    ...options,
  });
  const url = gateway.listen();
  // Tests look at what discovery did; a real start serves /health before it is done.
  await gateway.registry.ready;
  return {
    gateway,
    url,
    logs,
    handle: (path, init) => gateway.app.handle(new Request(`http://localhost${path}`, init)),
    close: () => gateway.shutdown(),
  };
}

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

/** The seed's three-message conversation. */
export { SEED_MESSAGES } from "../../src/seed.ts";

/** Splits an SSE body into its `data:` payloads, checking the framing byte by byte on the way. */
export { splitSseData as parseSseBody } from "../../src/testing/sse-body.ts";

/** A response body as JSON, typed loosely on purpose: tests check shapes with expectations. */
// biome-ignore lint: tests read arbitrary JSON
export async function json(response: Response | Promise<Response>): Promise<any> {
  return (await response).json();
}
