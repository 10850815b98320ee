/**
 * `GET /v1/models/ollama/{id}` for an id discovery did not list: the plugin asks Ollama
 * (`POST /api/show`), and only a model Ollama has is answered; driven by the official `openai` SDK.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import { fixture, json, ollamaError, ollamaRoutes } from "../../tests/ollama/fake-ollama.ts";
import dummy from "../dummy/index.ts";
import ollama from "./index.ts";

/** Pulled after the last discovery: `/api/show` knows it, `/api/tags` has not listed it yet. */
const PULLED_LATER = "qwen3:0.6b";

let fake: FakeServer;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  const tags = fixture<{ models: { name: string }[] }>("tags.json");
  fake = startFakeServer(
    ollamaRoutes({
      "GET /api/tags": () => json({ models: [{ ...tags.models[0], name: "llama3.2:latest", model: "llama3.2:latest" }] }),
      "POST /api/show": (request) => {
        const model = (request.body as { model?: string }).model;
        // Ollama's own answer for a model it does not have (server/routes.go, ShowHandler).
        if (model !== "llama3.2:latest" && model !== PULLED_LATER) return ollamaError(404, `model '${model}' not found`);
        return json(fixture("show-llava.json"));
      },
    }),
  );
  gw = await startTestGateway({ OLLAMA_BASE_URL: fake.url }, [dummy, ollama]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await gw.close();
  await fake.close();
});

test("an unlisted id Ollama has is a model; one it does not have is 404 model_not_found", async () => {
  fake.requests.length = 0;
  expect(await client.models.retrieve(`ollama/${PULLED_LATER}`)).toMatchObject({ id: `ollama/${PULLED_LATER}`, object: "model", owned_by: "ollama" });
  const missing = await client.models.retrieve("ollama/totally-made-up").catch((error: unknown) => error);
  expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  expect(missing).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
  const shown = fake.requests.filter((r) => r.path === "/api/show").map((r) => r.body);
  expect(shown).toEqual([{ model: PULLED_LATER }, { model: "totally-made-up" }]);
});

test("a listed id is answered from the list, without asking Ollama", async () => {
  fake.requests.length = 0;
  expect(await client.models.retrieve("llama3.2:latest")).toMatchObject({ id: "llama3.2:latest", owned_by: "ollama" });
  expect(fake.requests).toEqual([]);
});

test("Ollama down while asked: 503 upstream_unavailable, not a made-up model", async () => {
  const down = await startTestGateway({ OLLAMA_BASE_URL: "http://127.0.0.1:9" }, [dummy, ollama]);
  try {
    const res = await fetch(`${down.url}/v1/models/ollama/anything`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_unavailable");
  } finally {
    await down.close();
  }
});
