import type { ResponsesRequest } from "./request-schema.ts";

/** A request's `conversation` (OpenAI's `ConversationParam`): its id, given alone or as `{id}`. */
export function conversationIdOf(conversation: NonNullable<ResponsesRequest["conversation"]>): string {
  return typeof conversation === "string" ? conversation : conversation.id;
}
