import { InvalidRequestError, type ChatRequest, type ClientOptions, type EmbeddingRequest } from "../../src/kit.ts";
import type { ModelTraits } from "./convert-models.ts";
import { toOllamaMessages, type LoadedImages } from "./convert-messages.ts";
import { toOllamaFormat, toOllamaOptions, toOllamaThink } from "./convert-options.ts";
import { toOllamaTools } from "./convert-tools.ts";
import type { OllamaChatRequest, OllamaEmbedRequest } from "./wire.ts";

export interface ChatTarget {
  /** Ollama's model name (the request's id without the `ollama/` prefix). */
  model: string;
  stream: boolean;
  images: LoadedImages;
  traits?: ModelTraits;
  /** What an Ollama client sent through Ollaix's Ollama API that the chat request cannot carry. */
  clientOptions?: ClientOptions;
}

/** An OpenAI chat request as an Ollama `/api/chat` body. Builds a new object; the request is not touched. */
export function toOllamaChatRequest(request: ChatRequest, target: ChatTarget): OllamaChatRequest {
  const body: OllamaChatRequest = {
    model: target.model,
    messages: toOllamaMessages(request.messages, target.images),
    stream: target.stream,
  };
  const format = toOllamaFormat(request.response_format);
  if (format !== undefined) body.format = format;
  const options = toOllamaOptions(request);
  if (options !== undefined) body.options = options;
  const tools = toOllamaTools(request.tools, request.tool_choice);
  if (tools !== undefined) body.tools = tools;
  // An extra field in the core's schema (open objects); OpenAI clients send it for reasoning models.
  const think = toOllamaThink((request as { reasoning_effort?: unknown }).reasoning_effort, target.traits);
  if (think !== undefined) body.think = think;
  if (request.logprobs === true) {
    body.logprobs = true;
    if (request.top_logprobs != null) body.top_logprobs = request.top_logprobs;
  }
  // An Ollama client's own Modelfile options (num_ctx, top_k, repeat_penalty…) and keep_alive reach its Ollama as sent.
  const client = target.clientOptions;
  if (client?.surface === "ollama") {
    if (client.options) body.options = { ...client.options, ...body.options };
    if (client.keepAlive !== undefined) body.keep_alive = client.keepAlive;
  }
  return body;
}

/**
 * An OpenAI embeddings request as an Ollama `/api/embed` body. `input` keeps the client's shape (a
 * string stays a string); the core hands text only, as this plugin takes no token ids.
 */
export function toOllamaEmbedRequest(request: EmbeddingRequest, input: readonly (string | number[])[], model: string, client?: ClientOptions): OllamaEmbedRequest {
  const texts = input.map((item) => {
    if (typeof item !== "string") throw new InvalidRequestError("Ollama models take text input only, not token ids.", { param: "input" });
    return item;
  });
  const body: OllamaEmbedRequest = { model, input: typeof request.input === "string" ? request.input : texts };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  // An Ollama client's own `truncate`, Modelfile options (num_ctx…) and keep_alive reach its Ollama as sent.
  if (client?.surface === "ollama") {
    if (client.truncate !== undefined) body.truncate = client.truncate;
    if (client.options) body.options = { ...client.options };
    if (client.keepAlive !== undefined) body.keep_alive = client.keepAlive;
  }
  return body;
}
