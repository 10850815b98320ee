import { InvalidRequestError, type ChatRequest, type ChatResult, type ChunkResult } from "ollaix/plugin";

/** The text of the last user message; parts are joined, images refused. */
export function lastUserText(request: ChatRequest): string {
  const last = request.messages.findLast((m) => m.role === "user");
  if (!last || last.content == null) return "";
  if (typeof last.content === "string") return last.content;
  return last.content
    .map((part, i) => {
      if (part.type === "text") return part.text ?? "";
      throw new InvalidRequestError("The echo model only reads text.", { param: `messages.content[${i}]` });
    })
    .join(" ");
}

const count = (text: string) => text.split(/\s+/).filter(Boolean).length;

function usage(request: ChatRequest, answer: string) {
  const prompt = request.messages.reduce((n, m) => n + (typeof m.content === "string" ? count(m.content) : 0), 0);
  const completion = count(answer);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function toCompletion(prefix: string, request: ChatRequest): ChatResult {
  const answer = prefix + lastUserText(request);
  return {
    choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
    usage: usage(request, answer),
  };
}

/** Word by word; stops as soon as the gateway aborts (client gone, time-out). */
export async function* streamReply(prefix: string, request: ChatRequest, signal: AbortSignal): AsyncGenerator<ChunkResult> {
  const answer = prefix + lastUserText(request);
  const words = answer.split(/(?<= )/);
  for (const word of words) {
    if (signal.aborted) return;
    yield { choices: [{ index: 0, delta: { content: word } }] };
  }
  yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
  yield { choices: [], usage: usage(request, answer) };
}
