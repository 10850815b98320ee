// URL_FETCH_MEMORY_MB: the bytes of images and files fetched by URL that all requests in flight hold
// together. A request whose fetch would pass it is refused 503 server_busy (Anthropic: 529
// overloaded_error), with Retry-After; what a request holds is free again when it ends. Each
// request's own budget (32 MiB) did not bound how many fetched at once: 20 requests of 161 bytes,
// each naming a 31 MiB PDF, held 1.65 GB (a security probe).
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { definePlugin, UpstreamError, type ChatResult } from "../src/kit.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** 700 KiB: one fits in the 1 MiB the gateway is given here, two do not. */
const BYTES = 700 * 1024;
const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(BYTES - 9, 32)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(BYTES - 4)]);

const files = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (request) =>
    new URL(request.url).pathname === "/big.png"
      ? new Response(PNG, { headers: { "content-type": "image/png" } })
      : new Response(PDF, { headers: { "content-type": "application/pdf" } }),
});
const at = (path: string) => `http://127.0.0.1:${files.port}${path}`;

/** Answers once the test lets it (`release`): its request holds its fetched bytes until then. `entered`: it has them. */
let release: () => void = () => undefined;
let released = Promise.resolve();
let enter: () => void = () => undefined;
let entered = Promise.resolve();
const hold = () => {
  released = new Promise<void>((resolve) => (release = resolve));
  entered = new Promise<void>((resolve) => (enter = resolve));
};
const holding = definePlugin({
  name: "holding",
  models: [{ id: "holding-model" }],
  async chat(request, ctx): Promise<ChatResult> {
    await ctx.loadImages(request.messages); // as the Ollama and Gemini plugins do
    enter();
    await released;
    return { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "read" } }] };
  },
  async *chatStream() {},
});

let gw: TestGateway;
let openai: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({ LOG_LEVEL: "info", URL_FETCH_MEMORY_MB: "1", IMAGE_FETCH_ALLOW_PRIVATE: "true" }, [holding]);
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  release();
  await gw.close();
  await files.stop(true);
});

const withFile = () => openai.responses.create({ model: "holding-model", input: [{ role: "user", content: [{ type: "input_file", file_url: at("/big.pdf") }] }] });
const withImage = () => openai.chat.completions.create({ model: "holding-model", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: at("/big.png") } }] }] });
const failure = (run: Promise<unknown>) => run.then(() => undefined, (error: unknown) => error);

test("while one request holds its fetched file, another fetch that would pass URL_FETCH_MEMORY_MB is a 503 server_busy (files and images alike); once it ends, fetches pass again", async () => {
  hold();
  const first = withFile();
  await entered; // the first has its file, fetched before the provider is called: its 700 KiB are held
  const file = await failure(withFile());
  expect(file).toBeInstanceOf(OpenAI.APIError);
  expect(file).toMatchObject({ status: 503, code: "server_busy" });
  expect((file as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after")).toBe("1");
  expect((file as Error).message).toContain("URL_FETCH_MEMORY_MB");
  expect(await failure(withImage())).toMatchObject({ status: 503, code: "server_busy" });

  // Anthropic's surface says so as Anthropic does: 529 overloaded_error, which its SDK retries.
  const anthropic = new Anthropic({ baseURL: gw.url, apiKey: "unused", maxRetries: 0 });
  const overloaded = await failure(
    anthropic.messages.create({ model: "holding-model", max_tokens: 10, messages: [{ role: "user", content: [{ type: "document", source: { type: "url", url: at("/big.pdf") } }] }] }),
  );
  expect(overloaded).toBeInstanceOf(Anthropic.APIError);
  expect(overloaded).toMatchObject({ status: 529, error: { type: "error", error: { type: "overloaded_error" } } });

  release();
  expect((await first).output_text).toBe("read");
  // Its bytes went with it: the next request fetches again (twice, one after the other).
  expect((await withFile()).output_text).toBe("read");
  expect((await withImage()).choices[0]!.message.content).toBe("read");

  // Refusals of the gateway's own, not the provider's failures.
  const lines = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const busy = lines.filter((l) => l.msg === "request" && l.error === "server_busy").map((l) => l.status);
  expect(busy.sort()).toEqual([503, 503, 529]); // each counted under the status its client got
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).not.toMatch(/ollaix_upstream_errors_total\{[^}]*provider="holding"/);
}, 20_000);

test("a route's retries and next deployments take the images an attempt loaded: fetched and held once a request, so one request's attempts do not fill URL_FETCH_MEMORY_MB (a review: 503 server_busy with x-ollaix-attempts 3, blaming other requests)", async () => {
  let fetched = 0;
  const images = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (fetched++, new Response(PNG, { headers: { "content-type": "image/png" } })) });
  const failing = definePlugin({
    name: "failing",
    models: [{ id: "failing-model" }],
    async chat(request, ctx): Promise<ChatResult> {
      await ctx.loadImages(request.messages);
      throw new UpstreamError("The upstream answered HTTP 500.");
    },
    async *chatStream() {},
  });
  const config = writeConfigFile({ routes: [{ model: "retried", targets: [{ model: "failing-model" }], fallbacks: ["holding-model"], retries: 1 }] });
  const routed = await startTestGateway({ URL_FETCH_MEMORY_MB: "1", IMAGE_FETCH_ALLOW_PRIVATE: "true", OLLAIX_CONFIG: config }, [failing, holding]);
  try {
    hold();
    release();
    const client = new OpenAI({ baseURL: `${routed.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const answer = await client.chat.completions
      .create({ model: "retried", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `http://127.0.0.1:${images.port}/retry.png` } }] }] })
      .withResponse();
    // The failing deployment twice (its retry), then the next one, which answers: one fetch for all three.
    expect(answer.data.choices[0]!.message.content).toBe("read");
    expect(answer.response.headers.get("x-ollaix-attempts")).toBe("3");
    expect(fetched).toBe(1);
  } finally {
    await routed.close();
    await images.stop(true);
  }
}, 20_000);
