import type { Validator } from "../../validation.ts";

/**
 * What Ollama's request decoder lets through that Ollaix's schemas refuse, made into what Ollama
 * reads it as, for a body that failed its check (a body that passes is never touched):
 * - a message's `role` in any case (Ollama's `Message.UnmarshalJSON` lowercases it);
 * - a message's `content: null` (Go decodes it as the empty string);
 * - `options` whose value is null (Ollama's `Options.FromMap` skips them), and integer options sent
 *   with a fraction (`FromMap` truncates them).
 * Python clients that build bodies with `None` send the nulls. The body is the request's own parse.
 */
export function asOllamaReadsIt(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  let changed = false;
  const messages = (body as { messages?: unknown }).messages;
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (typeof message !== "object" || message === null) continue;
      const m = message as { role?: unknown; content?: unknown };
      if (typeof m.role === "string" && m.role !== m.role.toLowerCase()) {
        m.role = m.role.toLowerCase();
        changed = true;
      }
      if (m.content === null) {
        m.content = "";
        changed = true;
      }
    }
  }
  const options = (body as { options?: unknown }).options;
  if (typeof options === "object" && options !== null && !Array.isArray(options)) {
    const o = options as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      const value = o[key];
      if (value === null) {
        delete o[key];
        changed = true;
      } else if (INTEGER_OPTIONS.has(key) && typeof value === "number" && !Number.isInteger(value) && Number.isFinite(value)) {
        o[key] = Math.trunc(value);
        changed = true;
      }
    }
  }
  return changed;
}

const INTEGER_OPTIONS = new Set(["top_k", "num_predict", "seed", "num_ctx", "num_keep", "repeat_last_n", "num_batch", "num_gpu", "main_gpu", "num_thread", "mirostat"]);

/** A validator that, for a body it refuses, tries again once the body is as Ollama reads it. */
export function asOllama<T>(validator: Validator<T>): Validator<T> {
  return {
    assert(value) {
      try {
        return validator.assert(value);
      } catch (error) {
        if (!asOllamaReadsIt(value)) throw error;
        return validator.assert(value);
      }
    },
  };
}
