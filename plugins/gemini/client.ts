import type { GenerateContentConfig, GenerateContentParameters } from "@google/genai";
import { boundedFetch, MAX_UPSTREAM_ERROR_BYTES, readUpstreamText, type UpstreamCall } from "../../src/kit.ts";
import { fromGeminiError } from "./errors.ts";
import { parseCountTokens, parseEmbedResponse, parseGenerateResponse, parseModel, type GeminiEmbedResponse, type GeminiGenerateRequest, type GeminiModel, type GeminiResponse } from "./wire.ts";

/** The Gemini API's own origin, the SDK's default; set explicitly so no SDK environment variable moves it. */
export const GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com/";

export interface GeminiClientOptions {
  apiKey: string;
  /** GEMINI_BASE_URL: the REST origin without the API version, as the SDK's `httpOptions.baseUrl`. */
  baseUrl?: string;
  fetch: typeof fetch;
}


export interface GeminiClient {
  generateContent(model: string, request: GeminiGenerateRequest, call: UpstreamCall): Promise<GeminiResponse>;
  /** Resolves once Gemini accepted the stream (HTTP errors reject here), then yields its events. */
  generateContentStream(model: string, request: GeminiGenerateRequest, call: UpstreamCall): Promise<AsyncIterable<GeminiResponse>>;
  /** One `batchEmbedContents` call. */
  embedContents(model: string, texts: readonly string[], dimensions: number | undefined, call: UpstreamCall): Promise<GeminiEmbedResponse>;
  /** `countTokens` of a whole generate request (system instruction and tools included): `totalTokens`. */
  countTokens(model: string, request: GeminiGenerateRequest, call: UpstreamCall): Promise<number>;
  /** Every page of `GET models`, or only the first `pageSize` entries when `firstPageOnly`. */
  listModels(call: UpstreamCall, o?: { pageSize?: number; firstPageOnly?: boolean }): Promise<GeminiModel[]>;
}

/**
 * The only module that knows the `@google/genai` SDK. One SDK client for the instance, pinned to
 * the Gemini API (`vertexai: false`), `v1beta` (where `thoughtSignature`, `parametersJsonSchema` and
 * `responseJsonSchema` live) and the host's `fetch`. Every failure leaves it as a kit error (the one
 * layer that maps errors, through errors.ts); answers are checked on the way in.
 */
export async function createGeminiClient(o: GeminiClientOptions): Promise<GeminiClient> {
  // Loaded only when the plugin is enabled: importing the SDK costs ~120 ms of start-up.
  const { GoogleGenAI, ApiError } = await import("@google/genai");
  const base = o.baseUrl ?? GOOGLE_BASE_URL;
  const origin = base.endsWith("/") ? base : `${base}/`;
  const sdk = new GoogleGenAI({
    apiKey: o.apiKey,
    vertexai: false,
    // The SDK reads answers (and a stream's events) itself: bounded, as the gateway's own reads are.
    httpOptions: { baseUrl: o.baseUrl ?? GOOGLE_BASE_URL, apiVersion: "v1beta", fetch: boundedFetch(o.fetch) },
  });

  const params = (model: string, request: GeminiGenerateRequest, call: UpstreamCall): GenerateContentParameters => {
    const { contents, systemInstruction, tools, toolConfig, generationConfig } = request;
    // The SDK takes one flat config and splits it back into the REST body's
    // `systemInstruction` / `tools` / `toolConfig` / `generationConfig`.
    const config = {
      ...generationConfig,
      systemInstruction,
      tools,
      toolConfig,
      abortSignal: call.signal,
      httpOptions: { headers: { ...call.upstreamHeaders } },
    };
    // Our wire types are the REST JSON; the SDK declares the same string values as TS enums.
    return { model, contents, config: config as GenerateContentConfig };
  };

  const mapped = async <T>(call: UpstreamCall, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw fromGeminiError(error, call);
    }
  };

  return {
    generateContent: (model, request, call) =>
      mapped(call, async () => parseGenerateResponse(await sdk.models.generateContent(params(model, request, call)))),

    generateContentStream: (model, request, call) =>
      mapped(call, async () => {
        const events = await sdk.models.generateContentStream(params(model, request, call));
        return (async function* checkEvents() {
          try {
            for await (const event of events) yield parseGenerateResponse(event);
          } catch (error) {
            throw fromGeminiError(error, call);
          }
        })();
      }),

    embedContents: (model, texts, dimensions, call) => mapped(call, async () => {
      const response = await sdk.models.embedContent({
        model,
        // One content per text: given strings, @google/genai 3.3 makes them the parts of one content
        // for `gemini-embedding-2*` models, which Gemini embeds as one vector (python-genai#2523).
        contents: texts.map((text) => ({ role: "user", parts: [{ text }] })),
        config: {
          ...(dimensions === undefined ? {} : { outputDimensionality: dimensions }),
          abortSignal: call.signal,
          httpOptions: { headers: { ...call.upstreamHeaders } },
        },
      });
      return parseEmbedResponse(response);
    }),

    countTokens: (model, request, call) =>
      mapped(call, async () => {
        // The SDK's countTokens refuses `systemInstruction` and `tools` against the Gemini API; the REST
        // method takes them inside `generateContentRequest`, so this one call goes through fetch.
        const { contents, systemInstruction, tools, toolConfig } = request;
        const response = await o.fetch(`${origin}v1beta/models/${encodeURIComponent(model)}:countTokens`, {
          method: "POST",
          headers: { ...call.upstreamHeaders, "content-type": "application/json", "x-goog-api-key": o.apiKey },
          body: JSON.stringify({ generateContentRequest: { model: `models/${model}`, contents, systemInstruction, tools, toolConfig } }),
          signal: call.signal,
        });
        const text = await readUpstreamText(response, response.ok ? undefined : MAX_UPSTREAM_ERROR_BYTES, !response.ok);
        // The SDK's error class, so errors.ts maps a failed count like any other call.
        if (!response.ok) throw new ApiError({ message: text, status: response.status });
        return parseCountTokens(JSON.parse(text));
      }),

    listModels: (call, { pageSize = 1000, firstPageOnly = false } = {}) => mapped(call, async () => {
      const pager = await sdk.models.list({ config: { pageSize, abortSignal: call.signal, httpOptions: { headers: { ...call.upstreamHeaders } } } });
      const models: GeminiModel[] = [];
      const take = (model: { supportedActions?: unknown }) =>
        // The SDK renames REST's `supportedGenerationMethods` to `supportedActions`; back to REST.
        models.push(parseModel({ ...model, supportedGenerationMethods: model.supportedActions }));
      if (firstPageOnly) {
        for (const model of pager.page) take(model);
        return models;
      }
      for await (const model of pager) take(model);
      return models;
    }),
  };
}
