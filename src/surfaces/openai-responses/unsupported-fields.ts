import { InvalidRequestError } from "../../errors.ts";
/**
 * Fields that name something OpenAI keeps and this gateway does not have: a conversation of the
 * Conversations API, a prompt template made in OpenAI's dashboard. Ignoring them, as other unknown
 * fields are, would answer without the history or the instructions they stand for, a different
 * answer with nothing to say so; each is a 400 naming the field, as an unsupported tool type is.
 * `null` is the same as leaving the field out (OpenAI's document makes both nullable).
 */
export function assertSupportedFields(request: { conversation?: unknown; prompt?: unknown }): void {
  if (request.conversation != null) {
    throw new InvalidRequestError(
      "Invalid 'conversation': conversations are not supported by this gateway; continue a stored response with previous_response_id, or send the earlier items in input.",
      { param: "conversation" },
    );
  }
  if (request.prompt != null) {
    throw new InvalidRequestError(
      "Invalid 'prompt': prompt templates are not supported by this gateway; send their instructions and input in the request.",
      { param: "prompt" },
    );
  }
}
