import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChunkResult } from "../src/kit.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** Embeds text only: token-id input must be refused before it reaches it. */
const textOnly = definePlugin({
  name: "textonly",
  models: [{ id: "text-embedder" }],
  async chat() {
    throw new Error("not a chat model");
  },
  async *chatStream(): AsyncGenerator<ChunkResult> {
    throw new Error("not a chat model");
  },
  async embed(input) {
    return { embeddings: input.map(() => [0.5, -0.25]), usage: { prompt_tokens: 2 } };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, textOnly]);
});
afterAll(() => gw.close());

const embed = (body: Record<string, unknown>) => gw.handle("/v1/embeddings", jsonPost({ model: "dummy-model:1.0", ...body }));

describe("POST /v1/embeddings", () => {
  test("a string gives one vector in the OpenAI shape, with usage", async () => {
    const res = await embed({ input: "Hello world" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expectOpenAI("CreateEmbeddingResponse", body);
    expect(body.object).toBe("list");
    expect(body.model).toBe("dummy-model:1.0");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ object: "embedding", index: 0 });
    expect(body.data[0].embedding).toHaveLength(384);
    expect(Math.hypot(...body.data[0].embedding)).toBeCloseTo(1, 5);
    expect(body.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
  });

  test("the same input always gives the same vector; another input another one", async () => {
    const a = (await json(embed({ input: "same" }))).data[0].embedding;
    const b = (await json(embed({ input: ["other", "same"] }))).data;
    expect(b[1].embedding).toEqual(a);
    expect(b[0].embedding).not.toEqual(a);
    expect(b.map((d: { index: number }) => d.index)).toEqual([0, 1]);
  });

  test("encoding_format base64 is little-endian float32 of the same vector", async () => {
    const floats = (await json(embed({ input: "pack me", encoding_format: "float" }))).data[0].embedding as number[];
    const body = await json(embed({ input: "pack me", encoding_format: "base64" }));
    expect(typeof body.data[0].embedding).toBe("string");
    const bytes = Buffer.from(body.data[0].embedding, "base64");
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(decoded).toHaveLength(floats.length);
    decoded.forEach((v, i) => expect(v).toBeCloseTo(floats[i]!, 6));
  });

  test("dimensions is honoured", async () => {
    const body = await json(embed({ input: "short", dimensions: 16 }));
    expect(body.data[0].embedding).toHaveLength(16);
  });

  test("token ids (number[] and number[][]) reach plugins that take them", async () => {
    const one = await json(embed({ input: [1, 2, 3] }));
    expect(one.data).toHaveLength(1);
    expect(one.usage.prompt_tokens).toBe(3);
    const two = await json(embed({ input: [[1, 2], [3]] }));
    expect(two.data).toHaveLength(2);
    expect(two.data[0].embedding).not.toEqual(two.data[1].embedding);
  });

  test("token ids to a text-only plugin: 400 with param input", async () => {
    const res = await gw.handle("/v1/embeddings", jsonPost({ model: "text-embedder", input: [1, 2, 3] }));
    expect(res.status).toBe(400);
    const body = await json(res);
    expectOpenAI("ErrorResponse", body);
    expect(body.error.param).toBe("input");
    const ok = await json(gw.handle("/v1/embeddings", jsonPost({ model: "text-embedder", input: ["a", "b"] })));
    expect(ok.data).toHaveLength(2);
  });

  test("a model whose plugin does not embed: 400 naming model; unknown model: 404", async () => {
    const gw2 = await startTestGateway({}, [definePlugin({ ...textOnly, name: "chatonly", embed: undefined, models: [{ id: "chat-only" }] })]);
    try {
      const res = await gw2.handle("/v1/embeddings", jsonPost({ model: "chat-only", input: "x" }));
      expect(res.status).toBe(400);
      expect((await json(res)).error.param).toBe("model");
    } finally {
      await gw2.close();
    }
    expect((await embed({ model: "nope", input: "x" })).status).toBe(404);
  });

  test("OpenAI's input limits: an empty string, an empty string in a list, and a list past 2,048 are a 400 naming input", async () => {
    for (const input of ["", ["a", ""], Array.from({ length: 2049 }, () => "a"), Array.from({ length: 2049 }, () => 1)]) {
      const res = await embed({ input });
      expect(res.status).toBe(400);
      const body = await json(res);
      expectOpenAI("ErrorResponse", body);
      expect(body.error.param).toStartWith("input");
      // Past 2,048, said so (a probe: "not of a supported type", every array variant refusing it alike).
      if (Array.isArray(input) && input.length > 2048) expect(body.error.message).toBe("Invalid 'input': expected array length to be less or equal to 2048.");
    }
    const full = await json(embed({ input: Array.from({ length: 2048 }, (_, i) => `text ${i}`) }));
    expect(full.data).toHaveLength(2048);
  });
});
