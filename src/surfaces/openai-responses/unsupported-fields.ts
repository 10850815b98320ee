import { InvalidRequestError } from "../../errors.ts";
/**
 * Fields that name something OpenAI keeps or runs and this gateway does not have: a prompt template
 * made in OpenAI's dashboard, moderation, automatic compaction (`context_management`). Ignoring them, as other unknown fields are, would answer
 * without what they stand for, a different answer with nothing to say so; each is a 400 naming the
 * field, as an unsupported tool type is.
 * `null` is the same as leaving the field out (OpenAI's document makes both nullable).
 */
export function assertSupportedFields(request: { prompt?: unknown; moderation?: unknown; context_management?: unknown; multi_agent?: unknown; reasoning?: { mode?: unknown } | null }): void {
  // Subagents OpenAI runs for the response: the model here answers alone.
  if (request.multi_agent != null && (request.multi_agent as { enabled?: unknown }).enabled !== false) {
    throw new InvalidRequestError("Invalid 'multi_agent': multi-agent responses are run by OpenAI, not by this gateway; run your agents in your client.", { param: "multi_agent" });
  }
  // OpenAI's `pro` mode spends more compute on the answer: no provider behind this gateway has it.
  const mode = request.reasoning?.mode;
  if (mode != null && mode !== "standard") {
    throw new InvalidRequestError(`Invalid 'reasoning.mode': ${JSON.stringify(mode)} is not available through this gateway; models answer in their standard mode.`, { param: "reasoning.mode" });
  }
  if (request.prompt != null) {
    throw new InvalidRequestError(
      "Invalid 'prompt': prompt templates are not supported by this gateway; send their instructions and input in the request.",
      { param: "prompt" },
    );
  }
  // A safety control and automatic compaction: dropping either would answer as if it applied.
  if (request.moderation != null) {
    throw new InvalidRequestError("Invalid 'moderation': OpenAI's moderation is not run by this gateway; moderate the input and output yourself.", { param: "moderation" });
  }
  if (request.context_management != null) {
    throw new InvalidRequestError(
      "Invalid 'context_management': automatic compaction is not supported by this gateway; compact with POST /v1/responses/compact or a final compaction_trigger input item, or use truncation: \"auto\" to drop the oldest items when the conversation outgrows the model's context.",
      { param: "context_management" },
    );
  }
}
