// Bun's own body cap is off (server.ts): above it Bun answered a bare 413 before any code of ours
// ran. That is safe only while every route that reads a body reads it with our capped reader, and
// this file keeps it so.
import { answersWithoutBody } from "../src/http/fast-routes.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ MAX_BODY_BYTES: "2048" });
});
afterAll(() => gw?.close());

describe("request bodies", () => {
  test("every route that reads a body reads it with our reader (body.ts)", () => {
    const routes = gw.gateway.app.routes as unknown as { method: string; path: string; handler: unknown; hooks?: { parse?: { fn: unknown }[] } }[];
    const readers: string[] = [];
    // Elysia reads a body only for a handler whose context names it (its own source inference).
    const namesBody = (handler: unknown) => /\bbody\b/.test(String(handler).split(")")[0]!);
    for (const route of routes) {
      const parsers = (route.hooks?.parse ?? []).map((p) => (typeof p.fn === "function" ? p.fn.name : String(p.fn)));
      if (["POST", "PUT", "PATCH"].includes(route.method) && !answersWithoutBody(route.handler)) {
        expect(`${route.method} ${route.path}: ${parsers[0]}`).toBe(`${route.method} ${route.path}: readJson`);
        readers.push(route.path);
      } else {
        // A route marked as answering without reading (a wrong method's 405), or a GET: no body is read at all.
        expect(`${route.method} ${route.path}: ${namesBody(route.handler)}`).toBe(`${route.method} ${route.path}: false`);
      }
    }
    expect(readers).toEqual(expect.arrayContaining(["/v1/chat/completions", "/v1/responses", "/v1/messages", "/api/chat", "/v1/embeddings"]));
  });

  test("a route that takes no body answers without reading one (a hook that names Elysia's body would make it read every route's, uncapped)", async () => {
    const { connect } = await import("node:net");
    const { port, hostname } = new URL(gw.url);
    // Headers that promise 50 MB, a first kilobyte, then nothing: an answer can only come from a route that reads none of it.
    const answered = async (method: string, path: string): Promise<string> => {
      const socket = connect(Number(port), hostname);
      await new Promise((resolve) => socket.once("connect", resolve));
      let text = "";
      socket.on("data", (data) => (text += data.toString("latin1")));
      socket.write(`${method} ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${50 * 1024 * 1024}\r\n\r\n${"x".repeat(1024)}`);
      for (let i = 0; i < 100 && !text.includes("\r\n\r\n"); i++) await Bun.sleep(20);
      socket.destroy();
      return text.split("\r\n")[0] ?? "";
    };
    for (const [method, path] of [
      ["DELETE", "/v1/responses/resp_nope"],
      ["DELETE", "/v1/conversations/conv_nope"],
      ["DELETE", "/v1/conversations/conv_nope/items/msg_nope"],
      ["POST", "/api/pull"],
      ["POST", "/api/create"],
      ["DELETE", "/api/delete"],
      ["PUT", "/api/tags"],
      ["GET", "/v1/models"],
    ] as const) {
      expect(`${method} ${path}: ${await answered(method, path)}`).toMatch(/: HTTP\/1\.1 [1-5]\d\d /);
    }
  });

  test.each(["/v1/chat/completions", "/v1/responses", "/v1/embeddings"])(
    "%s: a declared body far over MAX_BODY_BYTES (and over what Bun's cap was) is the 413 envelope, without being read",
    async (path) => {
      const body = new Uint8Array(2 * 1024 * 1024 + 4096).fill(0x20);
      const response = await fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(response.status).toBe(413);
      expect(response.headers.get("x-request-id")).toBeTruthy();
      // The unread rest of the body: the connection is closed, not kept for a shutdown to wait on.
      expect(response.headers.get("connection")).toBe("close");
      const error = (await response.json()) as { error: { code: string; message: string } };
      expectOpenAI("ErrorResponse", error);
      expect(error.error.code).toBe("payload_too_large");
      expect(error.error.message).toContain("MAX_BODY_BYTES");
    },
  );

  test("a chunked body (no Content-Length) is counted while it is read: the 413 envelope once it passes the limit", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 3 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${gw.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    expectOpenAI("ErrorResponse", await response.json());
  });

  test("the same over Anthropic's and Ollama's surfaces: their own envelopes", async () => {
    const body = new Uint8Array(2 * 1024 * 1024 + 4096).fill(0x20);
    const messages = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(messages.status).toBe(413);
    expect(await messages.json()).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    const ollama = await fetch(`${gw.url}/api/chat`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(ollama.status).toBe(413);
    expect(Object.keys((await ollama.json()) as object)).toEqual(["error"]);
  });

  test("a compressed body is a 415 naming the coding, in each surface's envelope; identity is plain", async () => {
    const plain = JSON.stringify({ model: "dummy-model:1.0", input: "hi" });
    const gzipped = Bun.gzipSync(new TextEncoder().encode(plain));
    for (const [path, coding] of [["/v1/responses", "gzip"], ["/v1/chat/completions", "br"], ["/v1/conversations", "x-made-up"]] as const) {
      const response = await fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": coding }, body: gzipped });
      expect(response.status).toBe(415);
      expect(response.headers.get("accept-encoding")).toBe("identity");
      const envelope = await response.json();
      expectOpenAI("ErrorResponse", envelope);
      expect(envelope).toMatchObject({ error: { type: "invalid_request_error", code: "unsupported_content_encoding", message: `Content-Encoding "${coding}" is not supported: send the request body uncompressed.` } });
    }
    const messages = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gzipped });
    expect(messages.status).toBe(415);
    expect(await messages.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const ollama = await fetch(`${gw.url}/api/chat`, { method: "POST", headers: { "content-encoding": "gzip" }, body: gzipped });
    expect(ollama.status).toBe(415);
    expect(Object.keys((await ollama.json()) as object)).toEqual(["error"]);
    for (const none of ["identity", "Identity ", ""]) {
      const identity = await fetch(`${gw.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": none }, body: plain });
      expect(identity.status).toBe(200);
    }
  });
});
