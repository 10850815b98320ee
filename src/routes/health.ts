import { Elysia } from "elysia";
import { askProviderHealth } from "../observe/provider-health.ts";
import type { RouteDeps } from "./deps.ts";

import { VERSION } from "../version.ts";

/** How long one round of `?probe=true` answers is reused. */
const PROBE_CACHE_MS = 5_000;

/** Longest a provider's probe may take for `?probe=true`. */
const PROBE_TIMEOUT_MS = 5_000;

export function healthRoutes(
  { registry, logger, redact, stateHealth }: Pick<RouteDeps, "registry" | "logger" | "redact" | "stateHealth">,
  probeTimeoutMs = PROBE_TIMEOUT_MS,
) {
  const startedAt = Date.now();
  let round: { at: number; result: Promise<{ ok?: boolean; detail?: string }[]> } | undefined;
  const probes = () => {
    if (round === undefined || Date.now() - round.at > PROBE_CACHE_MS) {
      round = {
        at: Date.now(),
        result: Promise.all(
          registry.providers.map(async (p) => {
            const { ok, detail } = await askProviderHealth(p, { logger, redact, timeoutMs: probeTimeoutMs });
            // No probe of its own: nothing to add to its entry.
            if (ok === null) return {};
            return detail === undefined ? { ok } : { ok, detail };
          }),
        ),
      };
    }
    return round.result;
  };
  return new Elysia({ name: "ollaix:health" }).get(
    "/health",
    async function health({ query }) {
      const providers = registry.providers.map((p) => ({ name: p.name, models: 0 }) as { name: string; models: number; ok?: boolean; detail?: string });
      for (const model of registry.list()) {
        const entry = providers.find((p) => p.name === model.owned_by);
        if (entry) entry.models++;
      }
      // Probing upstreams costs a round trip each: only on request (`?probe=true`), and at most one
      // round every few seconds however often it is asked (it needs no key: callers must not be able
      // to spend the providers' quota through it).
      if (query.probe === "true") {
        const probed = await probes();
        providers.forEach((entry, i) => Object.assign(entry, probed[i]));
      }
      // Redis away in `open` mode: still serving (200), limits counted per replica; say so.
      const state = stateHealth?.();
      return {
        status: state?.status === "degraded" ? ("degraded" as const) : ("healthy" as const),
        ...(state?.reason ? { reason: state.reason } : {}),
        service: "Ollaix API",
        version: VERSION,
        uptime_s: Math.round((Date.now() - startedAt) / 1000),
        providers,
      };
    },
    { detail: { tags: ["Health"], summary: "Health check", description: "Liveness, version, and each provider instance's model count. `?probe=true` also asks every provider for its own health. Never needs a key." } },
  );
}
