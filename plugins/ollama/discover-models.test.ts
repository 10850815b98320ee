import { afterEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/logger.ts";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { fixture, json, ollamaError, ollamaRoutes } from "../../tests/ollama/fake-ollama.ts";
import { createOllamaClient } from "./client.ts";
import type { UpstreamCall } from "../../src/kit.ts";
import { createModelCatalog } from "./discover-models.ts";

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const scope: UpstreamCall = { signal: new AbortController().signal, upstreamHeaders: { "x-ollaix-hops": "1" } };
const quiet = createLogger({ level: "error", write: () => {} });

function catalogWith(tags: () => unknown, show: (model: string) => Response) {
  fake = startFakeServer(
    ollamaRoutes({
      "GET /api/tags": () => json(tags()),
      "POST /api/show": (request) => show((request.body as { model: string }).model),
    }),
  );
  return { fake, catalog: createModelCatalog(createOllamaClient({ baseUrl: fake.url, fetch }), quiet) };
}

describe("createModelCatalog", () => {
  test("shows each digest once, lists every model even when details fail, and sends the hop header", async () => {
    const { fake, catalog } = catalogWith(
      () => fixture("tags.json"),
      (model) => (model === "llama3.2:latest" ? json(fixture("show-llava.json")) : ollamaError(500, "boom")),
    );
    const first = await catalog.list(scope);
    expect(first.map((m) => [m.id, m.context_length])).toEqual([
      ["deepseek-r1:latest", undefined],
      ["llama3.2:latest", 8192],
    ]);
    await catalog.list(scope);
    // llama3.2 was shown once; deepseek-r1, whose details failed, is asked again. The shows of one
    // refresh run in parallel, so their order is free.
    const calls = fake.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body ?? "")}`);
    expect(calls[0]).toBe('GET /api/tags ""');
    expect(calls.slice(1, 3).sort()).toEqual(['POST /api/show {"model":"deepseek-r1:latest"}', 'POST /api/show {"model":"llama3.2:latest"}']);
    expect(calls.slice(3)).toEqual(['GET /api/tags ""', 'POST /api/show {"model":"deepseek-r1:latest"}']);
    expect(fake.requests.every((r) => r.headers["x-ollaix-hops"] === "1")).toBe(true);
  });

  test("a new digest under the same name is shown again", async () => {
    let digest = "aaa";
    const { fake, catalog } = catalogWith(() => ({ models: [{ name: "llama3.2:latest", digest }] }), () => json(fixture("show-llava.json")));
    await catalog.list(scope);
    await catalog.list(scope);
    digest = "bbb";
    await catalog.list(scope);
    expect(fake.requests.filter((r) => r.path === "/api/show")).toHaveLength(2);
  });

  test("traits of listed models, also by the name without its tag", async () => {
    const { catalog } = catalogWith(
      () => ({ models: [{ name: "gpt-oss:latest", digest: "g", details: { family: "gptoss" } }] }),
      () => json(fixture("show-gpt-oss-thinking.json")),
    );
    expect(catalog.traitsOf("gpt-oss:latest")).toBeUndefined();
    await catalog.list(scope);
    const traits = { family: "gptoss", thinkLevels: ["low", "medium", "high"] };
    expect(catalog.traitsOf("gpt-oss:latest")).toEqual(traits);
    expect(catalog.traitsOf("gpt-oss")).toEqual(traits);
    expect(catalog.traitsOf("gpt-oss:20b")).toBeUndefined();
  });

  test("a model list that is not Ollama's format fails discovery (the registry keeps the last list)", async () => {
    const { catalog } = catalogWith(() => ({ data: [] }), () => json({}));
    await expect(catalog.list(scope)).rejects.toMatchObject({ status: 502, message: "Ollama sent a model list that does not match its documented format (/models: Expected required property)." });
  });
});
