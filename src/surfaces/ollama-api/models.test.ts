import { expect, test } from "bun:test";
import type { Model } from "../../schemas/models.ts";
import { capabilitiesOf } from "./models.ts";

const model = (capabilities?: unknown): Model => ({ id: "m", object: "model", created: 0, owned_by: "x", ...(capabilities === undefined ? {} : { capabilities }) }) as Model;

test.each([
  [undefined, ["completion"]],
  [[], ["completion"]],
  [["completion", "tools"], ["completion", "tools"]],
  // Ollama's CLI runs a model that lists `embedding` as an embedding model: one that completes is listed as a chat model only.
  [["completion", "embedding"], ["completion"]],
  [["embedding"], ["embedding"]],
  // `suffix` is refused on this surface: `insert` is not offered (a client choosing fill-in-the-middle by it would fail).
  [["completion", "tools", "insert"], ["completion", "tools"]],
  [["insert"], ["completion"]],
])("declared %j → /api/show lists %j (a probe)", (declared, listed) => {
  expect(capabilitiesOf(model(declared))).toEqual(listed);
});
