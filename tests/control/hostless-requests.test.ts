// Requests without a usable Host (HTTP/1.0 without one, an empty one, one that is no host): Bun
// gives their URL as the bare path, and the keys, the model list and error messages must read it
// as they read `http://host/path`. A probe found the key check skipped for them (the path was read
// from the second slash on: `/v1/models` as `/models`), and the Anthropic model list a 500.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const KEY = "sk-hostless-test-000001";
let gw: TestGateway;
let port: number;

beforeAll(async () => {
  gw = await startTestGateway({ OLLAIX_API_KEYS: KEY });
  port = Number(new URL(gw.url).port);
});
afterAll(() => gw.close());

/** One request written as it is on a raw connection; the status line and the body of what came back. */
async function raw(request: string): Promise<{ status: number; body: string; head: string }> {
  let received = "";
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        received += new TextDecoder().decode(data);
      },
      close: () => resolve(),
      error: () => resolve(),
    },
  });
  socket.write(request);
  await Promise.race([closed, Bun.sleep(3000)]);
  socket.end();
  const cut = received.indexOf("\r\n\r\n");
  return { status: Number(received.slice(9, 12)), head: received.slice(0, cut), body: received.slice(cut + 4) };
}

/** The same request line and headers without a Host, with an empty one, and with one that is no host. */
const HOSTS = [
  ["HTTP/1.0 without Host", "HTTP/1.0", ""],
  ["an empty Host", "HTTP/1.1", "Host: \r\nConnection: close\r\n"],
  ["Host: a/b", "HTTP/1.1", "Host: a/b\r\nConnection: close\r\n"],
] as const;

describe.each(HOSTS)("keys with %s", (_, version, host) => {
  const send = (method: string, path: string, headers = "", body = "") =>
    raw(`${method} ${path} ${version}\r\n${host}${headers}${body ? `content-type: application/json\r\ncontent-length: ${body.length}\r\n` : ""}\r\n${body}`);

  test("the model list, a conversation and a response need a key", async () => {
    for (const answer of [
      await send("GET", "/v1/models"),
      await send("GET", "/api/tags"),
      await send("POST", "/v1/conversations", "", "{}"),
      await send("POST", "/v1/responses", "", JSON.stringify({ model: "dummy-model:1.0", input: "hi" })),
      await send("POST", "/v1/chat/completions", "", JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }] })),
    ]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toContain("API key");
    }
  });

  test("Anthropic's model list needs a key, and with one answers (no 500)", async () => {
    const refused = await send("GET", "/v1/models?limit=1", "anthropic-version: 2023-06-01\r\n");
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const listed = await send("GET", "/v1/models?limit=1", `anthropic-version: 2023-06-01\r\nx-api-key: ${KEY}\r\n`);
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body)).toMatchObject({ data: [{ type: "model" }], has_more: false });
  });

  test("a WebSocket handshake without a key is refused before the upgrade", async () => {
    const answer = await send("GET", "/v1/responses", "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
    expect(answer.status).toBe(401);
  });

  test("an unknown path is named whole in OpenAI's message", async () => {
    const answer = await send("GET", "/v1/nothing", `Authorization: Bearer ${KEY}\r\n`);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).error.message).toBe("Invalid URL (GET /v1/nothing)");
  });

  test("a path Elysia would read from its 8th character on (a first segment of 7 or more) is a 400, not the route inside it; /health is served", async () => {
    for (const [method, path] of [["GET", "/xxxxxxx/v1/models"], ["GET", "/abcdefgh/api/tags"], ["POST", "/xxxxxxx/v1/conversations"]] as const) {
      const answer = await send(method, path, "", method === "POST" ? "{}" : "");
      expect(answer.status).toBe(400);
      expect(answer.body).toContain("Host");
    }
    expect((await send("GET", "/health")).status).toBe(200);
  });

  test("with the key, the request is served", async () => {
    const answer = await send("GET", "/v1/models", `Authorization: Bearer ${KEY}\r\n`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.map((m: { id: string }) => m.id)).toContain("dummy-model:1.0");
  });
});

// A short Host (`a`, `ab:1`): Elysia used to find the path from the URL's 11th character, which
// assumes a host of four characters or more, so `/xx/v1/models` with `Host: a` was routed as
// `/v1/models` while the key guard read `/xx/v1/models`, which it does not guard (a security probe).
describe.each(["a", "ab", "abc", "a:1"])("a short Host (%s)", (host) => {
  const send = (path: string, headers = "", body = "") =>
    raw(`${body ? "POST" : "GET"} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${headers}${body ? `content-type: application/json\r\ncontent-length: ${body.length}\r\n` : ""}\r\n${body}`);
  const padding = "/".padEnd(Math.max(1, 11 - 7 - host.length), "x");

  test("a path padded to where Elysia looked is that path, not a model route (404), and the routes themselves need a key", async () => {
    for (const answer of [await send(`${padding}/v1/models`), await send(`${padding}/api/tags`), await send(`${padding}/v1/conversations`, "", "{}")]) {
      expect(answer.status).toBe(404);
    }
    expect((await send("/v1/models")).status).toBe(401);
    expect((await send("/v1/conversations", "", "{}")).status).toBe(401);
    const listed = await send("/v1/models", `Authorization: Bearer ${KEY}\r\n`);
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body).data.map((m: { id: string }) => m.id)).toContain("dummy-model:1.0");
  });
});
