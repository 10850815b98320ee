/**
 * The plugin kit: what a provider plugin imports as `ollaix/plugin`. Built-in plugins import this
 * file by path; plugins loaded from PLUGINS_DIR get the host's own copy (a virtual module), so they
 * need no npm packages, also inside the compiled binary.
 */
export { Type } from "@sinclair/typebox";
export type { Static, TObject, TSchema } from "@sinclair/typebox";
export { definePlugin, INSTANCE_NAME_PATTERN, isPluginFactory } from "./plugin.ts";
export type {
  ChatResult,
  ChunkResult,
  DiscoveryContext,
  EmbedResult,
  ModelInfo,
  ModelsContext,
  PluginDefinition,
  PluginFactory,
  PluginHost,
  Provider,
  RequestContext,
  ClientOptions,
  RunningModel,
  UpstreamCall,
} from "./plugin.ts";
export {
  AuthenticationError,
  hasErrorFields,
  InvalidRequestError,
  LoopDetectedError,
  ModelNotFoundError,
  OllaixError,
  RateLimitError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors.ts";
export type { ErrorFields } from "./errors.ts";
export { ConfigError, readEnv } from "./env.ts";
export { MAX_JSON_DEPTH, nestsTooDeep } from "./body.ts";
export { createChecker, createUpstreamParser } from "./checker.ts";
export { classifyUpstreamFailure, fromHttpStatus, networkCodeOf, retryAfterHeader } from "./upstream-failure.ts";
export type { FailureContext, HttpFailure } from "./upstream-failure.ts";
export type { Checker, UpstreamParserOptions } from "./checker.ts";
export { parseNdjson, parseNdjsonBatches } from "./ndjson.ts";
export { boundedFetch, MAX_UPSTREAM_BODY_BYTES, MAX_UPSTREAM_ERROR_BYTES, readUpstreamText } from "./upstream-body.ts";
export { parseSse, parseSseBatches, parseSseJson } from "./sse-parse.ts";
export type { SseMessage } from "./sse-parse.ts";
export { randomId, nowSeconds } from "./ids.ts";
export { FeatureRefusals } from "./feature-refusals.ts";
export type { RefusableFeature } from "./feature-refusals.ts";
export { tokenLogprobs } from "./token-logprobs.ts";
export type { LogProb, TopLogProb } from "./token-logprobs.ts";
export { THINKING_BUDGET, THOUGHTS_SHOWN, showThoughts, thinkingBudgetOf, thoughtsShown, withThinkingBudget } from "./thinking-budget.ts";
export { imagePartKey, loadImage, loadMessageImages, parseDataUrl } from "./image-fetch.ts";
export { inlineAudio, inlineFile, textOfFile } from "./file-parts.ts";
export type { InlineFile } from "./file-parts.ts";
export type { ImageFetchOptions, InlineImage, MessageImagesOptions } from "./image-fetch.ts";
export type { Logger } from "./logger.ts";
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  ContentPart,
  Delta,
  FinishReason,
  Message,
  Role,
  Tool,
  ToolCall,
  ToolChoice,
} from "./schemas/chat.ts";
export type { EmbeddingRequest } from "./schemas/embeddings.ts";
export type { Usage } from "./schemas/common.ts";
