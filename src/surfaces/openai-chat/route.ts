import { Elysia } from "elysia";
import { InvalidRequestError } from "../../errors.ts";
import { jsonBodyParsers } from "../../body.ts";
import { assertMessageRules } from "../../chat-rules.ts";
import { nowSeconds, randomId } from "../../ids.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { ChatRequest } from "../../schemas/chat.ts";
import { compileValidator } from "../../validation.ts";
import { normalizeAssistantTurns } from "./assistant-turns.ts";
import { toChatCompletion } from "./from-chat-result.ts";
import { chatStreamEncoder } from "./stream-encoder.ts";
import { asksLegacyFunctions, fromLegacyFunctions, hasLegacyTurns, inLegacyTerms, legacyStreamEncoder, toLegacyAnswer } from "./legacy-functions.ts";

/**
 * OpenAI's tool kinds this surface does not take, named before the schema check (which would ask
 * for a function tool's missing `function`): `allowed_tools` and `custom` tool choices, and custom
 * tools. The Responses API takes all three.
 */
function assertToolKinds(raw: unknown): void {
  if (raw === null || typeof raw !== "object") return;
  const { tool_choice: choice, tools } = raw as { tool_choice?: unknown; tools?: unknown };
  if (choice !== null && typeof choice === "object" && !Array.isArray(choice)) {
    const type = (choice as { type?: unknown }).type;
    if (typeof type === "string" && type !== "function") {
      throw new InvalidRequestError(
        `Invalid value for 'tool_choice.type': '${type}' is not supported on Chat Completions by this gateway; use none, auto, required or a function (the Responses API takes allowed_tools and custom tools).`,
        { param: "tool_choice.type" },
      );
    }
  }
  if (!Array.isArray(tools)) return;
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    if (tool !== null && typeof tool === "object" && (tool as { type?: unknown }).type === "custom") {
      throw new InvalidRequestError(`Invalid value for 'tools[${i}].type': custom tools are not supported on Chat Completions by this gateway; send them through the Responses API.`, {
        param: `tools[${i}].type`,
      });
    }
  }
}

/** OpenAI Chat Completions: the request is already the pipeline's own format. */
export function chatRoutes({ config, pipeline }: RouteDeps) {
  const validate = compileValidator(ChatRequest);
  // A body the schema refuses for legacy turns alone (`function` messages without `functions`) is read in the tools form.
  const validateLegacyTurns = {
    assert(value: unknown) {
      try {
        return validate.assert(value);
      } catch (error) {
        if (!hasLegacyTurns(value)) throw error;
        return validate.assert(fromLegacyFunctions(value as Record<string, unknown>));
      }
    },
  };
  return new Elysia({ name: "ollaix:chat" }).post(
    "/v1/chat/completions",
    async function createChatCompletion({ body: raw, request, set }) {
      assertToolKinds(raw);
      const legacy = asksLegacyFunctions(raw);
      let chat: ChatRequest;
      try {
        chat = legacy ? validate.assert(fromLegacyFunctions(raw as Record<string, unknown>)) : validateLegacyTurns.assert(raw);
      } catch (error) {
        // A field of the tools form the request was turned into is named as the client sent it (a probe).
        throw legacy ? inLegacyTerms(error) : error;
      }
      try {
        assertMessageRules(chat);
        normalizeAssistantTurns(chat);
        const call = { surface: "chat" as const, request, requestId: set.headers["x-request-id"] as string };
        if (chat.stream !== true) {
          const done = await pipeline.complete(call, chat);
          Object.assign(set.headers, done.headers);
          const completion = toChatCompletion(done.result, chat.model, done.usage);
          return legacy ? toLegacyAnswer(completion) : completion;
        }
        const encoder = chatStreamEncoder({
          id: randomId("chatcmpl-"),
          created: nowSeconds(),
          model: chat.model,
          choices: chat.n ?? 1,
          includeUsage: chat.stream_options?.include_usage === true,
        });
        // The provider's own figures for the key's limits and the metrics, asked for always: the
        // encoder sends the client a usage chunk only when it asked for one.
        if (chat.stream_options?.include_usage !== true) chat.stream_options = { ...chat.stream_options, include_usage: true };
        return await pipeline.stream(call, chat, legacy ? legacyStreamEncoder(encoder) : encoder);
      } catch (error) {
        throw legacy ? inLegacyTerms(error) : error;
      }
    },
    {
      parse: jsonBodyParsers(config.maxBodyBytes),
      detail: {
        tags: ["Chat"],
        summary: "Create a chat completion",
        description:
          "OpenAI Chat Completions. With `stream: true` the answer is `text/event-stream`: `data: <chat.completion.chunk>` events, then `data: [DONE]`.",
      },
    },
  );
}
