/**
 * What the playground sends on each surface and how it reads the stream back: pure functions from
 * the form to a request, and from one server-sent event to text, usage or an error. Wire formats:
 * OpenAI Chat Completions and Responses streaming, Anthropic Messages streaming (the contract's
 * "Surfaces").
 */
export type Surface = "chat" | "responses" | "messages";

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

export interface PlaygroundForm {
  model: string;
  system: string;
  /** undefined: the model's default. */
  temperature: number | undefined;
  /** The conversation so far, ending with the new user message. */
  turns: readonly Turn[];
}

export interface PlaygroundRequest {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** One event read: text to append, final token counts, the end, or a failure. */
export interface StreamStep {
  text?: string;
  usage?: { input: number | null; output: number | null };
  done?: boolean;
  error?: string;
}

export const SURFACE_LABELS: Record<Surface, string> = {
  chat: "Chat Completions (/v1/chat/completions)",
  responses: "Responses (/v1/responses)",
  messages: "Anthropic Messages (/v1/messages)",
};

export function toPlaygroundRequest(surface: Surface, form: PlaygroundForm, apiKey: string): PlaygroundRequest {
  const system = form.system.trim();
  const temperature = form.temperature === undefined ? {} : { temperature: form.temperature };
  const turns = form.turns.map((t) => ({ role: t.role, content: t.content }));
  const bearer: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  switch (surface) {
    case "chat":
      return {
        path: "/v1/chat/completions",
        headers: bearer,
        body: {
          model: form.model,
          messages: system ? [{ role: "system", content: system }, ...turns] : turns,
          stream: true,
          stream_options: { include_usage: true },
          ...temperature,
        },
      };
    case "responses":
      return {
        path: "/v1/responses",
        headers: bearer,
        body: { model: form.model, input: turns, ...(system ? { instructions: system } : {}), stream: true, store: false, ...temperature },
      };
    case "messages":
      return {
        path: "/v1/messages",
        headers: { "anthropic-version": "2023-06-01", ...(apiKey ? { "x-api-key": apiKey } : {}) },
        body: { model: form.model, max_tokens: 1024, ...(system ? { system } : {}), messages: turns, stream: true, ...temperature },
      };
    default: {
      const unknown: never = surface;
      throw new Error(`unknown surface ${String(unknown)}`);
    }
  }
}

// Loose on purpose: the page reads only what it shows, and a field it does not know is skipped.
type Json = Record<string, any>;

const messageOf = (value: unknown): string => {
  const error = (value as Json | undefined)?.error ?? value;
  return typeof error?.message === "string" ? error.message : "the stream failed";
};

/** One SSE event of `surface`'s stream → what it means for the page. */
export function readStreamEvent(surface: Surface, event: string | undefined, data: string): StreamStep {
  if (surface === "chat" && data === "[DONE]") return { done: true };
  let json: Json;
  try {
    json = JSON.parse(data) as Json;
  } catch {
    return { error: `unreadable event: ${data.slice(0, 80)}` };
  }
  switch (surface) {
    case "chat": {
      if (json.error) return { error: messageOf(json) };
      const step: StreamStep = {};
      // A refusal is the answer's text too (a model that refuses says so in `refusal`, not `content`).
      const delta = json.choices?.[0]?.delta;
      const content = typeof delta?.content === "string" && delta.content !== "" ? delta.content : delta?.refusal;
      if (typeof content === "string" && content !== "") step.text = content;
      if (json.usage) step.usage = { input: json.usage.prompt_tokens ?? null, output: json.usage.completion_tokens ?? null };
      return step;
    }
    case "responses": {
      const type = json.type ?? event;
      if (type === "response.output_text.delta" || type === "response.refusal.delta") return { text: String(json.delta ?? "") };
      if (type === "response.completed" || type === "response.incomplete") {
        const usage = json.response?.usage;
        return { done: true, ...(usage ? { usage: { input: usage.input_tokens ?? null, output: usage.output_tokens ?? null } } : {}) };
      }
      if (type === "response.failed") return { error: messageOf(json.response?.error) };
      if (type === "error") return { error: messageOf(json) };
      return {};
    }
    case "messages": {
      const type = json.type ?? event;
      if (type === "content_block_delta" && json.delta?.type === "text_delta") return { text: String(json.delta.text ?? "") };
      if (type === "message_start") return { usage: { input: json.message?.usage?.input_tokens ?? null, output: null } };
      // The final usage: its input_tokens is the provider's count where message_start's was the gateway's estimate.
      if (type === "message_delta") return { usage: { input: json.usage?.input_tokens ?? null, output: json.usage?.output_tokens ?? null } };
      if (type === "message_stop") return { done: true };
      if (type === "error") return { error: messageOf(json) };
      return {};
    }
    default: {
      const unknown: never = surface;
      throw new Error(`unknown surface ${String(unknown)}`);
    }
  }
}
