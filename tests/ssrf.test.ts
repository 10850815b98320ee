/**
 * Issue 9: the image-fetch SSRF guard, through a real Ollaix on a real port (default
 * IMAGE_FETCH_ALLOW_PRIVATE=false), with the ollama plugin (it loads image_url parts with the kit's
 * loadMessageImages) in front of a fake Ollama, driven by the official `openai` SDK. A "private"
 * service on loopback counts every request it gets: each bypass must get a 400 naming the part and
 * the service must receive nothing. Public hosts are simulated with the loader's test network: a
 * name resolves to a public address, and connections to that address are carried to a loopback fake.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import ollama from "../plugins/ollama/index.ts";
import { setImageNetworkForTests } from "../src/image-network.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { apiError, defaultRoutes, PNG } from "./ollama/e2e.ts";

const PUBLIC = "93.184.216.34";
const param = "messages[0].content[1].image_url.url";
const REFUSED = /^Invalid image in 'messages\[0\]\.content\[1\]\.image_url\.url': (the URL|a redirect)('s host name resolves to| points at) a private, loopback, link-local or reserved address, which the gateway does not fetch\.$/;

let fakeOllama: FakeServer;
/** What an attacker wants to reach: loopback admin ports, metadata services. */
let privateService: FakeServer;
/** A public image host (reached as PUBLIC); `/to?u=<url>` redirects to `<url>`. */
let publicHost: FakeServer;
let gw: TestGateway;
let client: OpenAI;
let anthropic: Anthropic;
let ollamaClient: Ollama;

beforeAll(async () => {
  fakeOllama = startFakeServer(defaultRoutes());
  privateService = startFakeServer(() => new Response(Buffer.from(PNG, "base64"), { headers: { "content-type": "image/png" } }));
  publicHost = startFakeServer((request) => {
    const to = new URLSearchParams(request.search).get("u");
    if (to) return new Response(null, { status: 302, headers: { location: to } });
    return new Response(Buffer.from(PNG, "base64"), { headers: { "content-type": "image/png" } });
  });
  const names: Record<string, string[]> = { "img.example.com": [PUBLIC], "inside.example.com": ["127.0.0.1"], "split.example.com": [PUBLIC, "10.0.0.7"] };
  setImageNetworkForTests({
    resolve: async (name) => names[name] ?? Promise.reject(new Error(`ENOTFOUND ${name}`)),
    fetch: ((input: URL | string, init?: RequestInit) => {
      const url = new URL(String(input));
      if (url.hostname === PUBLIC) url.hostname = "127.0.0.1";
      return fetch(url, init);
    }) as typeof fetch,
  });
  gw = await startTestGateway({ OLLAMA_BASE_URL: fakeOllama.url }, [dummy, ollama]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
  ollamaClient = new Ollama({ host: gw.url });
});
afterAll(async () => {
  setImageNetworkForTests(undefined);
  await gw.close();
  await Promise.all([fakeOllama.close(), privateService.close(), publicHost.close()]);
});
beforeEach(() => {
  for (const server of [fakeOllama, privateService, publicHost]) server.requests.length = 0;
});

const chatWithImage = (url: string, stream = false) =>
  client.chat.completions.create({
    model: "llama3.2:latest",
    stream,
    messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url } }] }],
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);

const port = () => new URL(privateService.url).port;
const publicUrl = (path: string) => `http://img.example.com:${new URL(publicHost.url).port}${path}`;

/** Every spelling of the private service's address that an attacker may try. */
const BYPASSES: [string, () => string][] = [
  ["dotted loopback", () => `http://127.0.0.1:${port()}/a.png`],
  ["localhost-like name", () => `http://inside.example.com:${port()}/a.png`],
  ["IPv4-mapped", () => `http://[::ffff:127.0.0.1]:${port()}/a.png`],
  ["IPv4-mapped, hex", () => `http://[::ffff:7f00:1]:${port()}/a.png`],
  ["IPv4-mapped, long form", () => `http://[0:0:0:0:0:ffff:7f00:1]:${port()}/a.png`],
  ["IPv4-compatible", () => `http://[::127.0.0.1]:${port()}/a.png`],
  ["NAT64", () => `http://[64:ff9b::127.0.0.1]:${port()}/a.png`],
  ["6to4", () => `http://[2002:7f00:1::1]:${port()}/a.png`],
  ["decimal", () => `http://2130706433:${port()}/a.png`],
  ["hex", () => `http://0x7f000001:${port()}/a.png`],
  ["hex short", () => `http://0x7f.1:${port()}/a.png`],
  ["octal", () => `http://0177.0.0.1:${port()}/a.png`],
  ["short form", () => `http://127.1:${port()}/a.png`],
  ["unspecified", () => `http://0.0.0.0:${port()}/a.png`],
  ["IPv6 loopback", () => `http://[::1]:${port()}/a.png`],
  ["cloud metadata", () => "http://169.254.169.254/latest/meta-data/"],
  ["cloud metadata, IPv4-mapped", () => "http://[::ffff:a9fe:a9fe]/latest/meta-data/"],
  ["a name with a public and a private address", () => `http://split.example.com:${port()}/a.png`],
];

describe("the private service is the target: it answers when asked directly", () => {
  test("control: the loopback service and the simulated public host both work", async () => {
    expect((await fetch(`${privateService.url}/a.png`)).status).toBe(200);
    expect(privateService.requests.length).toBe(1);
    // A public image passes the guard and reaches Ollama: the refusals below are the guard's doing.
    await chatWithImage(publicUrl("/cat.png"));
    expect(publicHost.requests.map((r) => [r.path, r.headers.host])).toEqual([["/cat.png", `img.example.com:${new URL(publicHost.url).port}`]]);
    const sent = fakeOllama.requests.find((r) => r.path === "/api/chat")?.body as { messages: { images?: string[] }[] };
    expect(sent.messages[0]!.images).toEqual([PNG]);
  });
});

describe.each([false, true])("stream %p: every bypass is a 400 and the private service receives nothing", (stream) => {
  test.each(BYPASSES)("%s", async (_label, url) => {
    const error = await apiError(chatWithImage(url(), stream));
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error", param });
    expect(error.message).toMatch(REFUSED);
    expect(privateService.requests).toEqual([]);
    expect(fakeOllama.requests.filter((r) => r.path === "/api/chat")).toEqual([]);
  });
});

describe("a public image host that redirects to each bypass is refused at the hop", () => {
  test.each(BYPASSES)("redirect to %s", async (_label, url) => {
    const error = await apiError(chatWithImage(publicUrl(`/to?u=${encodeURIComponent(url())}`)));
    expect(error).toMatchObject({ status: 400, param });
    expect(error.message).toMatch(REFUSED);
    expect(error.message).toContain("a redirect");
    expect(publicHost.requests.length).toBe(1);
    expect(privateService.requests).toEqual([]);
  });
});

describe("schemes other than http(s)", () => {
  test.each(["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.com/a.png"])("%s is a 400", async (url) => {
    const error = await apiError(chatWithImage(url));
    expect(error).toMatchObject({ status: 400, param, message: expect.stringContaining("only http(s) and data: URLs") });
  });
});

/**
 * The same bypasses through the other surfaces that take image URLs: Responses `input_image`
 * (`image_url`) parts and Anthropic `image` blocks with a `url` source go through the same loader,
 * and each surface answers in its own envelope naming the part in the client's own request.
 */
/** A Responses request of one user message: a text part, then `part`. */
const responsesWith = (model: string, text: string, part: OpenAI.Responses.ResponseInputContent, stream: boolean) =>
  client.responses.create({ model, stream, store: false, input: [{ role: "user", content: [{ type: "input_text", text }, part] }] } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
const responsesWithImage = (url: string, stream = false) => responsesWith("llama3.2:latest", "what is this?", { type: "input_image", image_url: url, detail: "auto" }, stream);

/** A Messages request of one user message: a text block, then `block`. */
const messagesWith = (model: string, text: string, block: Anthropic.ContentBlockParam, stream: boolean) =>
  anthropic.messages.create({ model, max_tokens: 64, stream, messages: [{ role: "user", content: [{ type: "text", text }, block] }] } as Anthropic.MessageCreateParamsNonStreaming);
const messagesWithImage = (url: string, stream = false) => messagesWith("llama3.2:latest", "what is this?", { type: "image", source: { type: "url", url } }, stream);

async function anthropicError(promise: Promise<unknown>): Promise<{ status: number; type: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Anthropic.APIError) {
      const body = error.error as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe("error");
      return { status: error.status as number, type: body.error.type, message: body.error.message };
    }
    throw error;
  }
  throw new Error("expected the request to fail");
}

/** Responses names the part in the client's input (the pipeline saw `messages[0].content[1].image_url.url`). */
const RESPONSES_PARAM = "input[0].content[1].image_url";
const REFUSED_ANY_PART = /^Invalid image in '[^']+': (the URL|a redirect)('s host name resolves to| points at) a private, loopback, link-local or reserved address, which the gateway does not fetch\.$/;

describe("controls: a public image passes through Responses and Messages", () => {
  test("Responses input_image and Anthropic url source reach the public host and Ollama", async () => {
    await responsesWithImage(publicUrl("/cat.png"));
    await messagesWithImage(publicUrl("/cat.png"));
    expect(publicHost.requests.length).toBe(2);
    const sent = fakeOllama.requests.filter((r) => r.path === "/api/chat").map((r) => (r.body as { messages: { images?: string[] }[] }).messages[0]!.images);
    expect(sent).toEqual([[PNG], [PNG]]);
  });
});

describe.each([false, true])("Responses input_image, stream %p: every bypass is a 400 and the private service receives nothing", (stream) => {
  test.each(BYPASSES)("%s", async (_label, url) => {
    const error = await apiError(responsesWithImage(url(), stream));
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error", param: RESPONSES_PARAM });
    expect(error.message).toMatch(REFUSED_ANY_PART);
    expect(error.message).toContain(`'${RESPONSES_PARAM}'`);
    expect(privateService.requests).toEqual([]);
    expect(fakeOllama.requests.filter((r) => r.path === "/api/chat")).toEqual([]);
  });
});

describe.each([false, true])("Anthropic image url source, stream %p: every bypass is a 400 and the private service receives nothing", (stream) => {
  test.each(BYPASSES)("%s", async (_label, url) => {
    const error = await anthropicError(messagesWithImage(url(), stream));
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error" });
    expect(error.message).toMatch(REFUSED_ANY_PART);
    expect(privateService.requests).toEqual([]);
    expect(fakeOllama.requests.filter((r) => r.path === "/api/chat")).toEqual([]);
  });
});

describe("redirects to each bypass through Responses and Messages are refused at the hop", () => {
  test.each(BYPASSES)("redirect to %s", async (_label, url) => {
    const hop = publicUrl(`/to?u=${encodeURIComponent(url())}`);
    const viaResponses = await apiError(responsesWithImage(hop));
    expect(viaResponses).toMatchObject({ status: 400, param: RESPONSES_PARAM, message: expect.stringContaining("a redirect") });
    const viaMessages = await anthropicError(messagesWithImage(hop));
    expect(viaMessages).toMatchObject({ status: 400, type: "invalid_request_error", message: expect.stringContaining("a redirect") });
    expect(publicHost.requests.length).toBe(2);
    expect(privateService.requests).toEqual([]);
  });
});

/**
 * Files by URL (Responses `input_file.file_url`, Anthropic `url` documents) are fetched by the
 * pipeline with the same guard, for every model (the dummy, which reads no files, too).
 */
const responsesWithFile = (url: string, stream = false) => responsesWith("dummy-model:1.0", "read this", { type: "input_file", file_url: url }, stream);
const messagesWithDocument = (url: string, stream = false) => messagesWith("dummy-model:1.0", "read this", { type: "document", source: { type: "url", url } }, stream);
const FILE_REFUSED = /^Invalid file in '[^']+': (the URL|a redirect)('s host name resolves to| points at) a private, loopback, link-local or reserved address, which the gateway does not fetch\.$/;

describe("files by URL", () => {
  test("control: a public file is fetched once for each surface and the model answers", async () => {
    expect((await responsesWithFile(publicUrl("/report.pdf"))).status).toBe("completed");
    expect((await messagesWithDocument(publicUrl("/report.pdf"))).type).toBe("message");
    expect(publicHost.requests.map((r) => r.path)).toEqual(["/report.pdf", "/report.pdf"]);
  });

  describe.each([false, true])("stream %p: every bypass is a 400 naming the client's field, and the private service receives nothing", (stream) => {
    test.each(BYPASSES)("%s", async (_label, url) => {
      const viaResponses = await apiError(responsesWithFile(url(), stream));
      expect(viaResponses).toMatchObject({ status: 400, type: "invalid_request_error", param: "input[0].content[1].file_url" });
      expect(viaResponses.message).toMatch(FILE_REFUSED);
      const viaMessages = await anthropicError(messagesWithDocument(url(), stream));
      expect(viaMessages).toMatchObject({ status: 400, type: "invalid_request_error" });
      expect(viaMessages.message).toMatch(FILE_REFUSED);
      expect(viaMessages.message).toContain("'messages[0].content[1].source'");
      expect(privateService.requests).toEqual([]);
    });
  });

  test.each(BYPASSES)("a public host's redirect to %s is refused at the hop", async (_label, url) => {
    const hop = publicUrl(`/to?u=${encodeURIComponent(url())}`);
    expect(await apiError(responsesWithFile(hop))).toMatchObject({ status: 400, param: "input[0].content[1].file_url", message: expect.stringContaining("a redirect") });
    expect(privateService.requests).toEqual([]);
  });
});

/**
 * Ollama's `/api/chat` and `/api/generate` take images as base64 only: a URL in `images` is data
 * (never fetched), so no bypass can reach the private service through them.
 */
describe("Ollama's API: images are base64, never fetched", () => {
  test.each(BYPASSES)("%s: a URL in images[] is not fetched", async (_label, url) => {
    for (const stream of [false, true] as const) {
      // Made one at a time: a refusal (a 400: the text is no base64) must be awaited before the next starts, or it rejects unheard.
      const chat = () => ollamaClient.chat({ model: "llama3.2:latest", stream, messages: [{ role: "user", content: "what is this?", images: [url()] }] } as never);
      const generate = () => ollamaClient.generate({ model: "llama3.2:latest", stream, prompt: "what is this?", images: [url()] } as never);
      for (const call of [chat, generate]) {
        try {
          const answer = (await call()) as unknown as AsyncIterable<unknown> | object;
          if (Symbol.asyncIterator in answer) for await (const _ of answer as AsyncIterable<unknown>);
        } catch (error) {
          // Whatever the gateway makes of the text, an error is a 4xx in Ollama's shape.
          expect((error as { status_code?: number }).status_code).toBeLessThan(500);
        }
      }
    }
    expect(privateService.requests).toEqual([]);
    expect(publicHost.requests).toEqual([]);
    // What reached Ollama, if anything, is the text as base64 data, not the URL's content.
    for (const request of fakeOllama.requests.filter((r) => r.path === "/api/chat")) {
      for (const message of (request.body as { messages: { images?: string[] }[] }).messages) {
        for (const image of message.images ?? []) expect(image).not.toBe(PNG);
      }
    }
  });
});
