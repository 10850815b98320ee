import type { Logger, ModelInfo } from "../../src/kit.ts";
import type { OllamaClient } from "./client.ts";
import type { UpstreamCall } from "../../src/kit.ts";
import { fromOllamaModel, traitsOf, type ModelTraits } from "./convert-models.ts";
import type { OllamaShow, OllamaTagsModel } from "./wire.ts";

/** The models Ollama lists, and what the plugin remembers about them between refreshes. */
export interface ModelCatalog {
  /** `GET /api/tags`, plus `/api/show` once per model digest (context length, capabilities). */
  list(scope: UpstreamCall): Promise<ModelInfo[]>;
  /** Traits of a model seen in the last list; `name` without a tag also finds `name:latest`. */
  traitsOf(model: string): ModelTraits | undefined;
}

export function createModelCatalog(client: OllamaClient, logger: Logger): ModelCatalog {
  // A digest's metadata never changes, so each is shown once; entries go when the model does.
  const shown = new Map<string, OllamaShow>();
  let traits = new Map<string, ModelTraits>();
  const keyOf = (model: OllamaTagsModel) => model.digest || `name:${model.name}`;

  return {
    async list(scope) {
      const { models } = await client.listModels(scope);
      const current = new Set(models.map(keyOf));
      for (const key of shown.keys()) if (!current.has(key)) shown.delete(key);
      await Promise.all(
        models
          .filter((model) => !shown.has(keyOf(model)))
          .map(async (model) => {
            try {
              shown.set(keyOf(model), await client.showModel(model.name, scope));
            } catch (error) {
              // Details are extras: the model is listed without them, and shown again next refresh.
              logger.debug("ollama model details unavailable", { model: model.name, error: (error as Error).message });
            }
          }),
      );
      traits = new Map(models.map((model) => [model.name, traitsOf(model, shown.get(keyOf(model)))]));
      return models.map((model) => fromOllamaModel(model, shown.get(keyOf(model))));
    },
    traitsOf: (model) => traits.get(model) ?? (model.includes(":") ? undefined : traits.get(`${model}:latest`)),
  };
}
