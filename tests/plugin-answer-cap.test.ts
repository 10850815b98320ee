// Ollama's and Gemini's plugins read answers through their client packages (ollama-js, Google's
// SDK), which read a body whole: held to the 256 MiB the gateway reads from any upstream, as the
// OpenAI-compatible plugin's own reads are (upstream-body.ts). An upstream that declares a larger
// answer is a 502 saying so at once, not a read that waits for (or holds) hundreds of MB.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import ollama from "../plugins/ollama/index.ts";
import gemini from "../plugins/gemini/index.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** A raw HTTP upstream: `small(path)` answers its JSON; every other request declares 300 MB and sends one byte. */
function rawUpstream(small: (requestLine: string) => string | undefined) {
  return Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        const line = data.toString("latin1").split("\r\n", 1)[0]!;
        if (!/^(GET|POST) /.test(line)) return; // a request body's own packet
        const text = small(line);
        if (text !== undefined) socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
        else socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300000000\r\n\r\n{");
      },
    },
  });
}

const TOO_LARGE = "The upstream's answer is larger than the 256 MiB the gateway reads.";
const hello = [{ role: "user", content: "Hello" }];
const within10s = { signal: AbortSignal.timeout(10_000) };

describe("Ollama", () => {
  const upstream = rawUpstream((line) => (line.startsWith("GET /api/tags") ? '{"models":[]}' : line.startsWith("GET /api/version") ? '{"version":"0.12.0"}' : undefined));
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ OLLAMA_BASE_URL: `http://127.0.0.1:${upstream.port}`, UPSTREAM_TIMEOUT_MS: "30000" }, [ollama]);
  });
  afterAll(async () => {
    await gw?.close();
    upstream.stop(true);
  });

  test("a chat answer and an embeddings answer declared past the bound are 502s saying so, at once", async () => {
    const chat = await fetch(`${gw.url}/v1/chat/completions`, { ...jsonPost({ model: "ollama/llama3.2", messages: hello }), ...within10s });
    expect(chat.status).toBe(502);
    expect((await json(chat)).error).toMatchObject({ code: "upstream_error", message: TOO_LARGE });
    const embed = await fetch(`${gw.url}/v1/embeddings`, { ...jsonPost({ model: "ollama/all-minilm", input: "Hello" }), ...within10s });
    expect(embed.status).toBe(502);
    expect((await json(embed)).error.message).toBe(TOO_LARGE);
  });
});

describe("Gemini", () => {
  const upstream = rawUpstream((line) => (line.startsWith("GET ") ? '{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}]}' : undefined));
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ GEMINI_API_KEY: "k-answer-cap", GEMINI_BASE_URL: `http://127.0.0.1:${upstream.port}`, UPSTREAM_TIMEOUT_MS: "30000" }, [gemini]);
  });
  afterAll(async () => {
    await gw?.close();
    upstream.stop(true);
  });

  test("an answer declared past the bound is a 502 saying so, streamed or not", async () => {
    for (const stream of [false, true]) {
      const answer = await fetch(`${gw.url}/v1/chat/completions`, { ...jsonPost({ model: "gemini-2.5-flash", messages: hello, stream }), ...within10s });
      expect(answer.status).toBe(502);
      expect((await json(answer)).error).toMatchObject({ code: "upstream_error", message: TOO_LARGE });
    }
  });
});
