import { Elysia } from "elysia";
import { AuthenticationError } from "../errors.ts";
import { adminKeyCheck } from "./admin-key.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { Readiness } from "./readiness.ts";

/** `GET /metrics` (Prometheus, behind OLLAIX_ADMIN_KEY when set) and `GET /health/ready`. */
export function observeRoutes(o: { metrics: GatewayMetrics; readiness: Readiness; adminKey?: string }) {
  const isAdmin = adminKeyCheck(o.adminKey);
  return new Elysia({ name: "ollaix:observe" })
    .get(
      "/metrics",
      async function scrapeMetrics({ request }) {
        if (!isAdmin(request.headers.get("authorization"))) {
          throw new AuthenticationError(
            request.headers.get("authorization") ? "Incorrect admin key provided." : "/metrics needs the admin key: Authorization: Bearer <OLLAIX_ADMIN_KEY>.",
          );
        }
        return new Response(await o.metrics.scrape(), { headers: { "content-type": o.metrics.contentType } });
      },
      {
        detail: {
          tags: ["Health"],
          summary: "Prometheus metrics",
          description: "Prometheus text format 0.0.4: the `ollaix_*` families and the OpenTelemetry GenAI histograms. Needs `Authorization: Bearer <OLLAIX_ADMIN_KEY>` when that variable is set.",
        },
      },
    )
    .get(
      "/health/ready",
      async function ready({ set }) {
        const report = await o.readiness.report();
        set.status = report.ready ? 200 : 503;
        return { status: report.ready ? ("ready" as const) : ("not_ready" as const), providers: report.providers, checks: report.checks };
      },
      {
        detail: {
          tags: ["Health"],
          summary: "Readiness",
          description:
            "200 when at least one provider answers its health probe (probes cached 5 s) and shared state is reachable, else 503, with each provider's and check's result. For a readiness probe; `/health` is the liveness probe. Never needs a key.",
        },
      },
    );
}
