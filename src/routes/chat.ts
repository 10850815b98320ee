import { Elysia } from "elysia";
import { jsonBodyParsers } from "../body.ts";
import { assertMessageRules, assertTokenLimits } from "../chat-rules.ts";
import { chatStreamResponse } from "../chat-stream.ts";
import { InvalidRequestError } from "../errors.ts";
import { nowSeconds, randomId } from "../ids.ts";
import type { RouteDeps } from "./deps.ts";
import { providerContext } from "./provider-context.ts";
import { compileValidator } from "../validation.ts";
import { ChatCompletion, ChatRequest } from "../schemas/chat.ts";
import type { ChatResult } from "../plugin.ts";

export function chatRoutes(deps: RouteDeps) {
  const validate = compileValidator(ChatRequest);
  const { config, registry } = deps;

  return new Elysia({ name: "ollaix:chat" }).post(
    "/v1/chat/completions",
    async function createChatCompletion({ body: raw, request, set }) {
      const body = validate.assert(raw);
      assertMessageRules(body);
      if (!registry.isReady) await registry.ready; // only in the first moments after start
      const { provider, upstreamId, contextLength } = registry.resolve(body.model);
      assertTokenLimits(body, contextLength);
      const n = body.n ?? 1;
      if (n > (provider.maxN ?? 1)) {
        throw new InvalidRequestError(`'n' greater than ${provider.maxN ?? 1} is not supported by ${provider.name} models.`, {
          param: "n",
        });
      }
      const requestId = set.headers["x-request-id"] as string;
      const { scope, ctx } = providerContext(deps, request, requestId, body.model, upstreamId, provider.name);

      if (body.stream !== true) {
        try {
          const result = await scope.deadline(provider.chat(body, ctx), config.upstreamTimeoutMs, "chat completion");
          return toCompletion(result, body.model);
        } finally {
          scope.dispose();
        }
      }

      // The first chunk decides between an HTTP error and a stream (contract: errors before the
      // first byte are ordinary HTTP errors).
      let iterator: AsyncIterator<unknown> | undefined;
      try {
        iterator = provider.chatStream(body, ctx)[Symbol.asyncIterator]();
        const first = await scope.deadline(iterator.next(), config.upstreamTimeoutMs, "first stream chunk");
        return chatStreamResponse(first as never, iterator as never, {
          id: randomId("chatcmpl-"),
          created: nowSeconds(),
          model: body.model,
          choices: n,
          includeUsage: body.stream_options?.include_usage === true,
          idleTimeoutMs: config.streamIdleTimeoutMs,
          scope,
          logger: ctx.logger,
          redact: deps.redact,
          headers: { "x-request-id": requestId },
        });
      } catch (error) {
        scope.dispose();
        void iterator?.return?.()?.catch(() => undefined);
        throw error;
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

/** Fills what the core owns in a provider's answer: id, object, created, model, and OpenAI's required nulls. */
function toCompletion(result: ChatResult, model: string): ChatCompletion {
  const { id, choices, ...rest } = result;
  return {
    id: id?.startsWith("chatcmpl-") ? id : randomId("chatcmpl-"),
    object: "chat.completion",
    created: nowSeconds(),
    model,
    choices: choices.map(({ index, message, logprobs, finish_reason, ...choiceExtras }) => {
      const { role: _role, content, refusal, ...messageExtras } = message;
      return {
        index,
        message: { role: "assistant" as const, content: content ?? null, refusal: refusal ?? null, ...messageExtras },
        logprobs: logprobs ?? null,
        finish_reason,
        ...choiceExtras,
      };
    }),
    ...rest,
  };
}
