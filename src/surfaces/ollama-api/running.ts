import { within } from "../../deadline.ts";
import { mayUse } from "../../keys/model-access.ts";
import { keyOf } from "../../keys/request-key.ts";
import type { RunningModel } from "../../plugin.ts";
import type { ModelRegistry } from "../../registry.ts";
import { hopsOf } from "../../request-meta.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { digestOf } from "./models.ts";

/** How long `/api/ps` waits for a provider's list (Ollama answers it from memory). */
const PS_WAIT_MS = 5_000;

/** An entry of Ollama's `/api/ps` answer. */
export interface PsEntry {
  name: string;
  model: string;
  size: number;
  digest: string;
  details: Record<string, unknown>;
  expires_at: string;
  size_vram: number;
  context_length?: number;
}

/**
 * `GET /api/ps`: the models the providers hold in memory now (those with `runningModels`: the
 * Ollama plugin), under their gateway ids, only those the request's key may use. A provider that
 * cannot be asked (down, slow) is left out and logged: the list is what could be seen.
 */
export function runningModels({ registry, router, logger }: Pick<RouteDeps, "registry" | "router" | "logger">, waitMs = PS_WAIT_MS) {
  return async (request: Request, requestId: string): Promise<PsEntry[]> => {
    if (!registry.isReady) await registry.ready;
    const providers = registry.providers.filter((provider) => provider.runningModels !== undefined);
    if (providers.length === 0) return [];
    const log = logger.child({ request_id: requestId });
    const ctx = {
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(waitMs)]),
      logger: log,
      upstreamHeaders: { "x-ollaix-hops": String(hopsOf(request) + 1), "x-request-id": requestId },
    };
    const key = keyOf(request);
    // A plugin's failure of any kind (a throw, a list that is no list, no answer) leaves its models out, not the others'.
    const lists = await Promise.all(
      providers.map((provider) =>
        within(Promise.resolve().then(() => provider.runningModels!(ctx)), waitMs, () => new Error(`no answer in ${waitMs} ms`))
          .then((models) => {
            if (!Array.isArray(models)) throw new TypeError("runningModels() did not return an array");
            return models.filter(isRunningModel).map((model) => ({ id: gatewayIdOf(registry, provider.name, model.id), model }));
          })
          .catch((error: unknown) => {
            log.warn("running models not listed", { provider: provider.name, error: error instanceof Error ? error.message : String(error) });
            return [];
          }),
      ),
    );
    const entries: PsEntry[] = [];
    for (const list of lists) {
      for (const { id, model } of list) {
        if (key?.allows && !mayUse(key, id, registry, router?.table)) continue;
        entries.push(toPsEntry(id, model));
      }
    }
    return entries;
  };
}

/** An entry with an id (a plugin's list may hold anything: it is not typed at run time). */
const isRunningModel = (model: unknown): model is RunningModel =>
  typeof model === "object" && model !== null && typeof (model as { id?: unknown }).id === "string" && (model as { id: string }).id !== "";

/** The id a provider's upstream id has at the gateway: itself, or `<instance>/<id>` when another instance lists it first. */
function gatewayIdOf(registry: ModelRegistry, instance: string, upstreamId: string): string {
  try {
    const resolved = registry.resolve(upstreamId);
    if (resolved.provider.name === instance && resolved.upstreamId === upstreamId) return upstreamId;
  } catch {
    // Not listed under its own id (yet): the instance's form reaches it.
  }
  return `${instance}/${upstreamId}`;
}

/** Ollama's entry, with every field its clients read (`ollama ps` prints size, processor, context and until). */
const toPsEntry = (id: string, model: RunningModel): PsEntry => ({
  name: id,
  model: id,
  size: model.size ?? 0,
  // As /api/tags gives it (the gateway id's SHA-256): a client matches the two lists by it (a probe).
  digest: digestOf(id),
  details: model.details ?? {},
  expires_at: model.expires_at ?? "",
  size_vram: model.size_vram ?? 0,
  ...(model.context_length !== undefined ? { context_length: model.context_length } : {}),
});
