import { Elysia } from "elysia";
import { jsonBodyParsers } from "../../body.ts";
import { assertMessageRules } from "../../chat-rules.ts";
import { nowSeconds, randomId } from "../../ids.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { ChatRequest } from "../../schemas/chat.ts";
import { compileValidator } from "../../validation.ts";
import { normalizeAssistantTurns } from "./assistant-turns.ts";
import { toChatCompletion } from "./from-chat-result.ts";
import { chatStreamEncoder } from "./stream-encoder.ts";

/** OpenAI Chat Completions: the request is already the pipeline's own format. */
export function chatRoutes({ config, pipeline }: RouteDeps) {
  const validate = compileValidator(ChatRequest);
  return new Elysia({ name: "ollaix:chat" }).post(
    "/v1/chat/completions",
    async function createChatCompletion({ body: raw, request, set }) {
      const chat = validate.assert(raw);
      assertMessageRules(chat);
      normalizeAssistantTurns(chat);
      const call = { surface: "chat" as const, request, requestId: set.headers["x-request-id"] as string };
      if (chat.stream !== true) {
        const done = await pipeline.complete(call, chat);
        Object.assign(set.headers, done.headers);
        return toChatCompletion(done.result, chat.model);
      }
      return pipeline.stream(
        call,
        chat,
        chatStreamEncoder({
          id: randomId("chatcmpl-"),
          created: nowSeconds(),
          model: chat.model,
          choices: chat.n ?? 1,
          includeUsage: chat.stream_options?.include_usage === true,
        }),
      );
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
