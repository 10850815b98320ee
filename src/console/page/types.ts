import type { ProviderHealth } from "../health.ts";
import type { ConsoleKey } from "../keys.ts";
import type { PlaygroundSurface } from "../surfaces.ts";

/** `GET /console/api/overview`, as `api.ts` on the server builds it. */
export interface Overview {
  version: string;
  startedAt: number;
  uptimeS: number;
  host: string;
  ringCapacity: number;
  windowS: number;
  surfaces: PlaygroundSurface[];
  apiKeyRequired: boolean;
  providers: { name: string; health: ProviderHealth; models: { id: string; name: string | null; context_length: number | null }[] }[];
  /** The routes clients call as models (`/v1/models`' `owned_by: "ollaix"`). */
  routes: string[];
}

export interface KeysAnswer {
  configured: boolean;
  shortFormKeys: number;
  data: ConsoleKey[];
}
