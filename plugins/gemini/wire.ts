import { createUpstreamParser, Type, type Static, type TSchema } from "../../src/kit.ts";

/**
 * Gemini's REST wire format (v1beta, https://ai.google.dev/api), with its field names, so fixtures
 * copied from the reference type-check as they are; client.ts adapts them to and from the
 * `@google/genai` SDK. Request shapes are what the converters build; response shapes are partial on
 * purpose (only what the plugin reads, so fields Gemini adds later pass) and are checked where they
 * enter the plugin.
 */

export const JsonObject = Type.Record(Type.String(), Type.Unknown());
export type JsonObject = Static<typeof JsonObject>;

const Count = Type.Integer({ minimum: 0 });

// ---------------------------------------------------------------- contents (both directions)

export const GeminiInlineData = Type.Object({
  mimeType: Type.String(),
  /** Base64, no `data:` prefix. */
  data: Type.String(),
});
export type GeminiInlineData = Static<typeof GeminiInlineData>;

/** One part of a content: one data field, and maybe a `thoughtSignature` riding on it. */
export const GeminiPart = Type.Object({
  text: Type.Optional(Type.String()),
  /** The part is a thought summary, not answer text. */
  thought: Type.Optional(Type.Boolean()),
  /** Opaque; must go back to Gemini exactly as received (Gemini 3 answers 400 otherwise). */
  thoughtSignature: Type.Optional(Type.String()),
  inlineData: Type.Optional(GeminiInlineData),
  functionCall: Type.Optional(Type.Object({ name: Type.String(), args: Type.Optional(JsonObject), id: Type.Optional(Type.String()) })),
  functionResponse: Type.Optional(Type.Object({ name: Type.String(), response: JsonObject, id: Type.Optional(Type.String()) })),
});
export type GeminiPart = Static<typeof GeminiPart>;

export const GeminiRole = Type.Union([Type.Literal("user"), Type.Literal("model")]);
export type GeminiRole = Static<typeof GeminiRole>;

export const GeminiContent = Type.Object({ role: GeminiRole, parts: Type.Array(GeminiPart) });
export type GeminiContent = Static<typeof GeminiContent>;

// ---------------------------------------------------------------- requests (built by the converters)

export const GeminiFunctionDeclaration = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  /** The OpenAPI-subset `Schema` object (older models); exclusive with `parametersJsonSchema`. */
  parameters: Type.Optional(JsonObject),
  /** Full JSON Schema. */
  parametersJsonSchema: Type.Optional(JsonObject),
});
export type GeminiFunctionDeclaration = Static<typeof GeminiFunctionDeclaration>;

export const GeminiTool = Type.Object({ functionDeclarations: Type.Array(GeminiFunctionDeclaration) });
export type GeminiTool = Static<typeof GeminiTool>;

export const GeminiToolConfig = Type.Object({
  functionCallingConfig: Type.Object({
    mode: Type.Union([Type.Literal("AUTO"), Type.Literal("ANY"), Type.Literal("NONE")]),
    allowedFunctionNames: Type.Optional(Type.Array(Type.String())),
  }),
});
export type GeminiToolConfig = Static<typeof GeminiToolConfig>;

export const GeminiThinkingConfig = Type.Object({
  /** Gemini 2.x: a token budget (0 switches thinking off where the model allows it). */
  thinkingBudget: Type.Optional(Type.Integer()),
  /** Gemini 3: minimal, low, medium or high. */
  thinkingLevel: Type.Optional(Type.String()),
  includeThoughts: Type.Optional(Type.Boolean()),
});
export type GeminiThinkingConfig = Static<typeof GeminiThinkingConfig>;

export const GeminiGenerationConfig = Type.Object({
  maxOutputTokens: Type.Optional(Type.Integer()),
  temperature: Type.Optional(Type.Number()),
  topP: Type.Optional(Type.Number()),
  topK: Type.Optional(Type.Integer()),
  stopSequences: Type.Optional(Type.Array(Type.String())),
  seed: Type.Optional(Type.Integer()),
  presencePenalty: Type.Optional(Type.Number()),
  frequencyPenalty: Type.Optional(Type.Number()),
  candidateCount: Type.Optional(Type.Integer()),
  responseMimeType: Type.Optional(Type.String()),
  /** The OpenAPI-subset `Schema` object; exclusive with `responseJsonSchema`. */
  responseSchema: Type.Optional(JsonObject),
  responseJsonSchema: Type.Optional(JsonObject),
  thinkingConfig: Type.Optional(GeminiThinkingConfig),
  /** The chosen tokens' log probabilities (`logprobsResult`), with `logprobs` top candidates each. */
  responseLogprobs: Type.Optional(Type.Boolean()),
  logprobs: Type.Optional(Type.Integer()),
});
export type GeminiGenerationConfig = Static<typeof GeminiGenerationConfig>;

/** The body of `models/{model}:generateContent` and `:streamGenerateContent`. */
export const GeminiGenerateRequest = Type.Object({
  contents: Type.Array(GeminiContent),
  systemInstruction: Type.Optional(Type.Object({ parts: Type.Array(GeminiPart) })),
  tools: Type.Optional(Type.Array(GeminiTool)),
  toolConfig: Type.Optional(GeminiToolConfig),
  generationConfig: GeminiGenerationConfig,
});
export type GeminiGenerateRequest = Static<typeof GeminiGenerateRequest>;

// ---------------------------------------------------------------- responses (checked on arrival)

const GeminiLogprobCandidate = Type.Object({
  token: Type.Optional(Type.String()),
  logProbability: Type.Optional(Type.Number()),
});
/** With `responseLogprobs`: the chosen token of each step and, with `logprobs`, the top candidates of each. */
export const GeminiLogprobsResult = Type.Object({
  chosenCandidates: Type.Optional(Type.Array(GeminiLogprobCandidate)),
  topCandidates: Type.Optional(Type.Array(Type.Object({ candidates: Type.Optional(Type.Array(GeminiLogprobCandidate)) }))),
});
export type GeminiLogprobsResult = Static<typeof GeminiLogprobsResult>;

export const GeminiCandidate = Type.Object({
  /** Absent or without parts when the candidate was stopped before any output (SAFETY, …). */
  content: Type.Optional(Type.Object({ role: Type.Optional(Type.String()), parts: Type.Optional(Type.Array(GeminiPart)) })),
  /** Absent on stream events until the candidate ends. */
  finishReason: Type.Optional(Type.String()),
  finishMessage: Type.Optional(Type.String()),
  index: Type.Optional(Count),
  logprobsResult: Type.Optional(GeminiLogprobsResult),
});
export type GeminiCandidate = Static<typeof GeminiCandidate>;

export const GeminiUsageMetadata = Type.Object({
  promptTokenCount: Type.Optional(Count),
  candidatesTokenCount: Type.Optional(Count),
  thoughtsTokenCount: Type.Optional(Count),
  toolUsePromptTokenCount: Type.Optional(Count),
  cachedContentTokenCount: Type.Optional(Count),
  totalTokenCount: Type.Optional(Count),
});
export type GeminiUsageMetadata = Static<typeof GeminiUsageMetadata>;

/** A `generateContent` answer, or one `data:` event of `streamGenerateContent?alt=sse`. */
export const GeminiResponse = Type.Object({
  candidates: Type.Optional(Type.Array(GeminiCandidate)),
  /** Only when the prompt itself was blocked, with no candidates. */
  promptFeedback: Type.Optional(Type.Object({ blockReason: Type.Optional(Type.String()), blockReasonMessage: Type.Optional(Type.String()) })),
  usageMetadata: Type.Optional(GeminiUsageMetadata),
  modelVersion: Type.Optional(Type.String()),
  responseId: Type.Optional(Type.String()),
});
export type GeminiResponse = Static<typeof GeminiResponse>;

/** One entry of `GET models`. */
export const GeminiModel = Type.Object({
  name: Type.String({ minLength: 1 }),
  displayName: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  inputTokenLimit: Type.Optional(Count),
  outputTokenLimit: Type.Optional(Count),
  supportedGenerationMethods: Type.Optional(Type.Array(Type.String())),
  /** Whether the model thinks (Gemini 2.5 and later). */
  thinking: Type.Optional(Type.Boolean()),
});
export type GeminiModel = Static<typeof GeminiModel>;

/** A `batchEmbedContents` answer: one vector per request, in order. */
export const GeminiEmbedResponse = Type.Object({
  embeddings: Type.Array(Type.Object({ values: Type.Array(Type.Number()) })),
  usageMetadata: Type.Optional(Type.Object({ promptTokenCount: Type.Optional(Count), totalTokenCount: Type.Optional(Count) })),
});
export type GeminiEmbedResponse = Static<typeof GeminiEmbedResponse>;

const parserFor = <S extends TSchema>(schema: S, what: string) => createUpstreamParser(schema, { provider: "Gemini", what });

export const parseGenerateResponse = parserFor(GeminiResponse, "an answer");
export const parseModel = parserFor(GeminiModel, "a model list entry");
export const parseEmbedResponse = parserFor(GeminiEmbedResponse, "an embedding answer");

/** `countTokens`: the prompt's tokens as Gemini counts them. */
export const GeminiCountTokensResponse = Type.Object({ totalTokens: Type.Integer({ minimum: 0 }) });
const parseCountResponse = parserFor(GeminiCountTokensResponse, "a token count");
export const parseCountTokens = (value: unknown): number => parseCountResponse(value).totalTokens;
