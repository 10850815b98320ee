import type { ChatRequest, ContentPart, Message } from "../../schemas/chat.ts";

/**
 * Earlier assistant turns in the spellings the plugins read. Clients of other OpenAI-compatible
 * APIs send an assistant's thinking back as `reasoning` (OpenRouter's name; the OpenAI Agents SDK's
 * chat model), where the plugins read `reasoning_content`; and OpenAI's own document lets an
 * assistant's content hold `refusal` parts (the Agents SDK replays a refused turn so), which are
 * what the assistant said: text. The request is changed in place (it is the route's own object),
 * and only where such a turn is: a loop over the messages otherwise, nothing allocated.
 */
export function normalizeAssistantTurns(chat: ChatRequest): void {
  for (const message of chat.messages) {
    if (message.role !== "assistant") continue;
    const turn = message as Message & { reasoning?: unknown; reasoning_content?: unknown };
    if (typeof turn.reasoning === "string" && turn.reasoning_content === undefined) turn.reasoning_content = turn.reasoning;
    const content = message.content;
    if (Array.isArray(content) && content.some((part) => part.type === "refusal")) {
      message.content = content.map((part): ContentPart => (part.type === "refusal" ? { type: "text", text: part.refusal ?? "" } : part));
    }
  }
}
