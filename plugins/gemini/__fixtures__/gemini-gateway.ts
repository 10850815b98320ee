import OpenAI from "openai";
import { startTestGateway, type TestGateway } from "../../../tests/helpers/gateway.ts";
import dummy from "../../dummy/index.ts";
import gemini from "../index.ts";
import { startFakeGemini, type FakeGemini } from "./fake-gemini.ts";

export const KEY = "test-key-123456";

export interface GeminiGateway {
  upstream: FakeGemini;
  gw: TestGateway;
  /** The official `openai` client on the gateway, without retries so recorded requests are exact. */
  client: OpenAI;
  close(): Promise<void>;
}

/**
 * A fake Gemini that accepts `KEY`, and an in-process gateway with the dummy and gemini plugins
 * pointed at it, as the issue describes; `gatewayKey` and `env` vary it for the error tests.
 */
export async function startGeminiGateway(o: { gatewayKey?: string; baseUrl?: string; env?: Record<string, string> } = {}): Promise<GeminiGateway> {
  const upstream = startFakeGemini(KEY);
  const gw = await startTestGateway(
    { GEMINI_API_KEY: o.gatewayKey ?? KEY, GEMINI_BASE_URL: o.baseUrl ?? upstream.url, IMAGE_FETCH_ALLOW_PRIVATE: "true", ...o.env },
    [dummy, gemini],
  );
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  return {
    upstream,
    gw,
    client,
    close: async () => {
      await gw.close();
      await upstream.close();
    },
  };
}

/** The error a call fails with (the SDK's APIPromise is lazy: awaiting it here runs it). */
export async function failure(call: PromiseLike<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded");
}

/** Polls a condition the gateway reaches asynchronously (an abort travelling upstream); fails after ~5 s. */
export async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await Bun.sleep(50);
  if (!condition()) throw new Error("condition not reached");
}
