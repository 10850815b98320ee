import { afterAll } from "bun:test";
import { runPluginConformance } from "ollaix/plugin/testing";
import { startFakeServer } from "../../tests/helpers/fake-server.ts";
import { chatLine, doneLine, fixture, json, ndjsonResponse, ollamaError, ollamaRoutes } from "../../tests/ollama/fake-ollama.ts";
import ollama from "./index.ts";

// A documented-format Ollama: the tags fixture, a word-by-word NDJSON chat, `model not found` for
// anything it does not list, and /api/embed.
const listed = new Set(fixture<{ models: { name: string }[] }>("tags.json").models.map((m) => m.name));
const fake = startFakeServer(
  ollamaRoutes({
    "GET /api/tags": () => json(fixture("tags.json")),
    "POST /api/show": () => json({ capabilities: ["completion"] }),
    "POST /api/chat": (request) => {
      const body = request.body as { model: string; stream?: boolean };
      if (!listed.has(body.model)) return ollamaError(404, `model "${body.model}" not found, try pulling it first`);
      const words = ["Sure,", " here", " is", " some", " Python."];
      if (body.stream === false) {
        return json({ ...doneLine({}, body.model), message: { role: "assistant", content: words.join("") } });
      }
      return ndjsonResponse([...words.map((w) => chatLine({ content: w }, body.model)), doneLine({}, body.model)], 2);
    },
    "POST /api/embed": (request) => {
      const body = request.body as { model: string; input: string[] };
      return json({ model: body.model, embeddings: body.input.map((_, i) => [i, 0.5, -0.5]), prompt_eval_count: body.input.length });
    },
  }),
);
afterAll(() => fake.close());

const model = [...listed][0]!;
runPluginConformance(() => ({ plugin: ollama, model, embeddingModel: model, env: { OLLAMA_BASE_URL: fake.url } }));
