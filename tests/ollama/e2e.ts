/**
 * The ollama plugin's end-to-end set-up: a gateway on a real port with [dummy, ollama] and
 * IMAGE_FETCH_ALLOW_PRIVATE, a recording fake Ollama behind it, an image server, and the official
 * `openai` SDK pointed at the gateway.
 */
import OpenAI from "openai";
import dummy from "../../plugins/dummy/index.ts";
import ollama from "../../plugins/ollama/index.ts";
import { startFakeServer, type FakeServer } from "../helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { fixture, json, ollamaRoutes, type Handler } from "./fake-ollama.ts";

/** A 1×1 PNG, base64. The image server serves it as `/cat.png`. */
export const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/**
 * The default Ollama: the documented tags plus a gpt-oss model, `/api/show` details per model, and
 * the documented chat answer; a test overrides the routes it needs.
 */
export function defaultRoutes(overrides: Record<string, Handler> = {}): Handler {
  const gptOss = { name: "gpt-oss:20b", model: "gpt-oss:20b", modified_at: "2025-08-05T10:00:00Z", digest: "f2b8351c", details: { family: "gptoss", parameter_size: "20.9B", quantization_level: "MXFP4" } };
  return ollamaRoutes({
    "GET /api/tags": () => json({ models: [...fixture<{ models: unknown[] }>("tags.json").models, gptOss] }),
    "POST /api/show": (request) => {
      const model = (request.body as { model: string }).model;
      if (model === "llama3.2:latest") return json(fixture("show-llava.json"));
      if (model === "gpt-oss:20b") return json(fixture("show-gpt-oss-thinking.json"));
      return json({ capabilities: ["completion", "thinking"] });
    },
    "POST /api/chat": () => json(fixture("chat.json")),
    ...overrides,
  });
}

export interface OllamaE2E {
  fake: FakeServer;
  images: FakeServer;
  gw: TestGateway;
  client: OpenAI;
  /** The `/api/chat` bodies the fake received since the last reset. */
  chatBodies(): Record<string, unknown>[];
  /** Back to the default routes, with no recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startOllamaE2E(): Promise<OllamaE2E> {
  const fake = startFakeServer(defaultRoutes());
  const images = startFakeServer((request) =>
    request.path === "/cat.png"
      ? new Response(Buffer.from(PNG, "base64"), { headers: { "content-type": "image/png" } })
      : new Response("no such image", { status: 404 }),
  );
  const gw = await startTestGateway({ OLLAMA_BASE_URL: fake.url, IMAGE_FETCH_ALLOW_PRIVATE: "true" }, [dummy, ollama]);
  // No retries: every request must reach the fake exactly once.
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  return {
    fake,
    images,
    gw,
    client,
    chatBodies: () => fake.requests.filter((r) => r.path === "/api/chat").map((r) => r.body as Record<string, unknown>),
    reset() {
      fake.handle(defaultRoutes());
      fake.requests.length = 0;
      images.requests.length = 0;
    },
    async close() {
      await gw.close();
      await fake.close();
      await images.close();
    },
  };
}

export interface ApiFailure {
  status: number | undefined;
  /** The envelope's message (the SDK's own message adds the status in front). */
  message: string;
  type: string | undefined;
  param: string | null | undefined;
  code: string | null | undefined;
}

/** The error the SDK throws, for an HTTP error and for the SSE error event alike. */
export async function apiError(promise: Promise<unknown>): Promise<ApiFailure> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    const body = error.error as { message?: string } | undefined;
    return { status: error.status, message: body?.message ?? error.message, type: error.type, param: error.param, code: error.code };
  }
  throw new Error("expected an API error");
}
