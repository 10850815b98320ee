import { Elysia } from "elysia";
import type { RouteDeps } from "./deps.ts";

import { VERSION } from "../version.ts";

export function healthRoutes({ registry, logger, redact, stateHealth }: RouteDeps) {
  const startedAt = Date.now();
  return new Elysia({ name: "ollaix:health" }).get(
    "/health",
    async function health({ query }) {
      const providers = registry.providers.map((p) => ({ name: p.name, models: 0 }) as { name: string; models: number; ok?: boolean; detail?: string });
      for (const model of registry.list()) {
        const entry = providers.find((p) => p.name === model.owned_by);
        if (entry) entry.models++;
      }
      // Probing upstreams costs a round trip each: only on request (`?probe=true`).
      if (query.probe === "true") {
        await Promise.all(
          registry.providers.map(async (p, i) => {
            if (!p.health) return;
            try {
              const r = await p.health({ signal: AbortSignal.timeout(5000), logger, upstreamHeaders: { "x-ollaix-hops": "1" } });
              Object.assign(providers[i]!, r.detail === undefined ? { ok: r.ok } : { ok: r.ok, detail: redact(r.detail) });
            } catch (error) {
              Object.assign(providers[i]!, { ok: false, detail: redact(error instanceof Error ? error.message : String(error)) });
            }
          }),
        );
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
