import { Elysia } from "elysia";
import type { Config } from "../config.ts";
import { AuthenticationError, NotFoundError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ModelRegistry } from "../registry.ts";
import { adminKeyCheck } from "../observe/admin-key.ts";
import { hostnameOf, isLoopbackAddress, isSameOrigin } from "./access.ts";
import type { ConsoleEvents } from "./events.ts";
import type { HealthProbe } from "./health.ts";
import type { KeysSource } from "./keys.ts";
import { toRequestRecord } from "./request-record.ts";
import type { RequestRing } from "./ring.ts";
import type { TrafficSeries } from "./series.ts";
import { servedSurfaces } from "./surfaces.ts";

export interface ConsoleApiDeps {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  version: string;
  ring: RequestRing;
  series: TrafficSeries;
  events: ConsoleEvents;
  health: HealthProbe;
  keys?: KeysSource;
  /** The routes `/v1/models` lists: the playground offers them beside the providers' models. */
  router?: { table: { listed(created: number): { id: string }[] } };
  /** The app's routes, read when asked: the playground offers the surfaces that exist. */
  routes: () => readonly { method: string; path: string }[];
}

const ACCESS_PATH = "/console/api/access";

const notServed = () => new NotFoundError("Unknown request URL. Please check the URL and method.");

/**
 * `/console/api/*`: JSON and one SSE stream for the console page. With OLLAIX_ADMIN_KEY every call
 * needs `Authorization: Bearer <admin key>`; without it the console exists only on a loopback
 * listener, and then only for requests that name a loopback host (no DNS rebinding) from the
 * console's own origin.
 */
export function consoleApi(deps: ConsoleApiDeps) {
  const { config, registry, ring, series, events } = deps;
  const isAdmin = config.adminKey ? adminKeyCheck(config.adminKey) : undefined;
  const startedAt = Date.now();

  return new Elysia({ name: "ollaix:console-api" })
    .onBeforeHandle(function guardConsoleApi({ request, path }) {
      const host = request.headers.get("host");
      if (!isSameOrigin(request.headers.get("origin"), host)) throw notServed();
      if (isAdmin) {
        // `access` tells the page whether to ask for the key, without a 401 in the browser's console.
        if (path !== ACCESS_PATH && !isAdmin(request.headers.get("authorization"))) throw new AuthenticationError("The console needs the admin key (OLLAIX_ADMIN_KEY) as `Authorization: Bearer <key>`.");
      } else if (host === null || !isLoopbackAddress(hostnameOf(host))) {
        throw notServed();
      }
    })
    .get(ACCESS_PATH, ({ request }) => ({
      adminKeyRequired: isAdmin !== undefined,
      signedIn: isAdmin === undefined || isAdmin(request.headers.get("authorization")),
    }), { detail: { hide: true } })
    .get("/console/api/overview", async function consoleOverview() {
      if (!registry.isReady) await registry.ready;
      const models = registry.list();
      const providers = await Promise.all(
        registry.providers.map(async (provider) => ({
          name: provider.name,
          health: await deps.health(provider),
          models: models.filter((m) => m.owned_by === provider.name).map((m) => ({
            id: m.id,
            name: typeof m.name === "string" ? m.name : null,
            context_length: typeof m.context_length === "number" ? m.context_length : null,
          })),
        })),
      );
      return {
        version: deps.version,
        startedAt,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        host: config.host,
        ringCapacity: ring.capacity,
        windowS: series.windowS,
        surfaces: servedSurfaces(deps.routes()),
        apiKeyRequired: config.apiKeys.length > 0 || deps.keys !== undefined,
        providers,
        routes: (deps.router?.table.listed(0) ?? []).map((route) => route.id),
      };
    }, { detail: { hide: true } })
    .get("/console/api/requests", function consoleRequests({ query }) {
      // `limit` as asked, between 1 and the ring's size (0 was read as "all"); absent or not a number: all.
      const asked = Number.parseInt(String(query.limit ?? ""), 10);
      const limit = Number.isNaN(asked) ? ring.capacity : Math.max(1, Math.min(ring.capacity, asked));
      return { capacity: ring.capacity, data: ring.newest(limit).map((o) => toRequestRecord(o)) };
    }, { detail: { hide: true } })
    .get("/console/api/series", function consoleSeries() {
      return { windowS: series.windowS, now: Math.floor(Date.now() / 1000), points: series.points() };
    }, { detail: { hide: true } })
    .get("/console/api/keys", async function consoleKeys() {
      const keys = deps.keys ? await deps.keys() : [];
      return { configured: deps.keys !== undefined, shortFormKeys: config.apiKeys.length, data: keys };
    }, { detail: { hide: true } })
    .get("/console/api/events", ({ request }) => events.open(request.signal), { detail: { hide: true } });
}

/**
 * When the console is not served: `/console` and its API answer the ordinary 404, and the log
 * says how to turn it on (at most once a minute, so a scanner cannot flood the log).
 */
export function consoleDisabled(logger: Logger, host: string) {
  let lastLog = 0;
  const refuse = () => {
    const now = Date.now();
    if (now - lastLog > 60_000) {
      lastLog = now;
      logger.warn("console not served", { host, hint: "the console is served without a key only on a loopback HOST; set OLLAIX_ADMIN_KEY to serve it here behind that key" });
    }
    throw notServed();
  };
  return new Elysia({ name: "ollaix:console-disabled" })
    .get("/console", refuse, { detail: { hide: true } })
    .get("/console/*", refuse, { detail: { hide: true } });
}
