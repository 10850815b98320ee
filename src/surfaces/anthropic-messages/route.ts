import { Elysia } from "elysia";
import { jsonBodyParsers } from "../../body.ts";
import { randomId } from "../../ids.ts";
import { OllaixError } from "../../errors.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { compileValidator } from "../../validation.ts";
import { toAnthropicMessage } from "./from-chat-result.ts";
import { CountTokensRequest, MessagesRequest } from "./schema.ts";
import { type AppliedEdit, applyContextEdits, checkedEdits } from "./context-editing.ts";
import { messagesStreamEncoder } from "./stream-encoder.ts";
import { eagerTools } from "./eager-tools.ts";
import { withAnthropicParam } from "./to-anthropic-param.ts";
import { type MessageSource, toChatMessages, toChatRequest, toCountRequest } from "./to-chat-request.ts";
import { countPromptTokens, estimatePromptTokens } from "../token-count.ts";
import { overflowInAnthropicWords } from "./context-overflow.ts";

/**
 * An error the pipeline or a plugin raises names the chat request's fields: renamed to the client's
 * own (the conversation is converted again, recording each message's blocks, on this path only).
 */
function inClientTerms(error: unknown, req: Parameters<typeof toChatMessages>[0], inputTokens?: () => number): unknown {
  return inAnthropicWords(
    withAnthropicParam(
      error,
      (message) => {
        const sources: MessageSource[] = [];
        toChatMessages(req, sources);
        return sources[message];
      },
      effortField(req),
    ),
    inputTokens,
  );
}

/**
 * A request with its context edits applied to the conversation (context-editing.ts): the edited
 * request, what was applied, and the prompt's count before the edits (counted once, if at all).
 */
async function withContextEdits<R extends CountTokensRequest>(req: R): Promise<{ req: R; applied: AppliedEdit[]; originalTokens: () => Promise<number> }> {
  const edits = checkedEdits(req.context_management);
  let original: Promise<number> | undefined;
  const originalTokens = () => {
    if (original) return original;
    const whole = toCountRequest(req);
    return (original = countPromptTokens(whole.messages, whole.tools, whole.response_format));
  };
  const { messages, applied } = await applyContextEdits(req.messages, edits, originalTokens);
  return { req: { ...req, messages }, applied, originalTokens };
}

/** The field the chat request's `reasoning_effort` came from: `thinking` (a budget or a switch), else `output_config.effort`. */
function effortField(req: Parameters<typeof toChatMessages>[0]): string {
  const thinking = req.thinking?.type;
  return (thinking === undefined || thinking === "adaptive") && req.output_config?.effort != null ? "output_config.effort" : "thinking";
}

/**
 * Anthropic's SDKs read the request's id from `request-id` (`message._request_id`,
 * `APIError.requestID`): the same id. Bun's fast routes set it before the route runs (so a refusal
 * before it has it too); this covers the routes Elysia serves (`app.handle`).
 */
/** Anthropic's beta under which a thinking budget spans the whole turn and may pass `max_tokens`. */
const INTERLEAVED_THINKING = "interleaved-thinking";

const anthropicRequestId = (headers: Record<string, unknown>) => void (headers["request-id"] ??= headers["x-request-id"]);

/**
 * What Claude Code acts on, in Anthropic's words: a context overflow starts "prompt is too long"
 * (it compacts the conversation), and a `max_tokens` the model cannot take says "input length and
 * `max_tokens` exceed context limit: <input> + <max_tokens> > <limit>" (it retries with less).
 */
function inAnthropicWords(error: unknown, inputTokens: (() => number) | undefined): unknown {
  if (!(error instanceof OllaixError)) return error;
  if (error.code === "context_length_exceeded" && !error.message.startsWith("prompt is too long") && !error.message.startsWith("input length and")) {
    error.message = overflowInAnthropicWords(error.message);
  } else if (error.param === "max_tokens" && typeof (error as { contextLength?: unknown }).contextLength === "number" && inputTokens) {
    const limit = (error as unknown as { contextLength: number }).contextLength;
    const asked = Number(/too large: (\d+)/.exec(error.message)?.[1] ?? NaN);
    if (Number.isFinite(asked)) {
      error.message = `input length and \`max_tokens\` exceed context limit: ${inputTokens()} + ${asked} > ${limit}, decrease input length or \`max_tokens\` and try again`;
    }
  }
  return error;
}

/**
 * Anthropic Messages: `POST /v1/messages` (stream or not) and `POST /v1/messages/count_tokens`,
 * converted to and from the pipeline's chat format. `anthropic-version` and `anthropic-beta` are
 * accepted and need nothing: the answer's shape does not depend on them. Errors take Anthropic's
 * envelope through the `/v1/messages` row of surfaces/envelopes.ts.
 */
export function messagesRoutes({ config, pipeline }: RouteDeps) {
  const validate = compileValidator(MessagesRequest);
  const validateCount = compileValidator(CountTokensRequest);
  const parse = jsonBodyParsers(config.maxBodyBytes);
  return new Elysia({ name: "ollaix:messages" })
    .post(
      "/v1/messages",
      async function createMessage({ body: raw, request, set }) {
        anthropicRequestId(set.headers);
        const asked = validate.assert(raw);
        const edited = asked.context_management == null ? undefined : await withContextEdits(asked);
        const req = edited?.req ?? asked;
        const chat = toChatRequest(req, { interleavedThinking: request.headers.get("anthropic-beta")?.includes(INTERLEAVED_THINKING) === true });
        // Counted once: what message_start tells the client is what limits, metrics and logs count.
        let estimate: number | undefined;
        const estimatedInput = () => (estimate ??= estimatePromptTokens(chat.messages, chat.tools, chat.response_format));
        const call = { surface: "messages" as const, request, requestId: set.headers["x-request-id"] as string, estimateInput: estimatedInput };
        const omitThinking = req.thinking?.display === "omitted";
        const contextManagement = edited && { applied_edits: edited.applied };
        try {
          if (req.stream !== true) {
            const done = await pipeline.complete(call, chat);
            Object.assign(set.headers, done.headers);
            const message = toAnthropicMessage(done.result, { model: req.model, stopSequences: req.stop_sequences, estimatedInput, omitThinking, estimatedOutput: done.usage.output });
            return contextManagement ? { ...message, context_management: contextManagement } : message;
          }
          return await pipeline.stream(
            call,
            chat,
            messagesStreamEncoder({ id: randomId("msg_"), model: req.model, stopSequences: req.stop_sequences, estimatedInput, omitThinking, contextManagement, streamsInput: eagerTools(req, request), requestId: call.requestId }),
          );
        } catch (error) {
          throw inClientTerms(error, req, estimatedInput);
        }
      },
      {
        parse,
        detail: {
          tags: ["Anthropic"],
          summary: "Create a message (Anthropic Messages API)",
          description:
            "Anthropic's Messages API for every model. With `stream: true` the answer is `text/event-stream` with Anthropic's events (`message_start`, `content_block_*`, `message_delta`, `message_stop`). Keys as `x-api-key` or `Authorization: Bearer`.",
        },
      },
    )
    .post(
      "/v1/messages/count_tokens",
      async function countMessageTokens({ body: raw, request, set }) {
        anthropicRequestId(set.headers);
        const asked = validateCount.assert(raw);
        const edited = asked.context_management == null ? undefined : await withContextEdits(asked);
        const req = edited?.req ?? asked;
        const chat = toCountRequest(req);
        const call = { surface: "messages" as const, request, requestId: set.headers["x-request-id"] as string };
        try {
          const counted = await pipeline.countTokens(call, chat, (sent) => countPromptTokens(sent.messages, sent.tools, sent.response_format));
          Object.assign(set.headers, counted.headers);
          // With context management, Anthropic also says what the prompt counted before its edits.
          return edited ? { input_tokens: counted.inputTokens, context_management: { original_input_tokens: await edited.originalTokens() } } : { input_tokens: counted.inputTokens };
        } catch (error) {
          throw inClientTerms(error, req);
        }
      },
      {
        parse,
        detail: {
          tags: ["Anthropic"],
          summary: "Count the tokens of a message",
          description:
            "`{\"input_tokens\": N}`: the provider's own count where it has one (Gemini), else an estimate with a BPE tokenizer (cl100k_base), not the model's own.",
        },
      },
    );
}
