import type { Validator } from "../../validation.ts";

/**
 * What Ollama's request decoder lets through that Ollaix's schemas refuse, made into what Ollama
 * reads it as, for a body that failed its check (a body that passes is never touched):
 * - a message's `role` in any case (Ollama's `Message.UnmarshalJSON` lowercases it);
 * - a message's `content: null` (Go decodes it as the empty string);
 * - `options` whose value is null (Ollama's `Options.FromMap` skips them), and integer options sent
 *   with a fraction (`FromMap` truncates them);
 * - any other optional field sent as null, in the body, a message or a tool call (Go leaves the
 *   field unset: `keep_alive`, `truncate`, `system`, a message's `thinking` or `tool_name`, a call's
 *   `id`; a call's `arguments: null` decodes as no arguments).
 * Python clients that build bodies with `None` send the nulls (Open WebUI sends a call's `"id": null`).
 * The body is the request's own parse. `model` and `input` keep their nulls: those have answers of
 * their own (Ollama's "model is required"; `input: null` is a load). A null `prompt` or `messages`
 * goes, as Go reads it as empty: a load.
 */
export function asOllamaReadsIt(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  let changed = withoutNulls(body as Record<string, unknown>, KEPT_NULLS);
  const messages = (body as { messages?: unknown }).messages;
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (typeof message !== "object" || message === null) continue;
      const m = message as { role?: unknown; content?: unknown; tool_calls?: unknown };
      if (typeof m.role === "string" && m.role !== m.role.toLowerCase()) {
        m.role = m.role.toLowerCase();
        changed = true;
      }
      if (m.content === null) {
        m.content = "";
        changed = true;
      }
      if (withoutNulls(m as Record<string, unknown>, NONE)) changed = true;
      if (Array.isArray(m.tool_calls)) {
        for (const call of m.tool_calls) {
          if (typeof call !== "object" || call === null) continue;
          if (withoutNulls(call as Record<string, unknown>, NONE)) changed = true;
          const fn = (call as { function?: unknown }).function;
          if (typeof fn !== "object" || fn === null) continue;
          const f = fn as Record<string, unknown>;
          if (f.arguments === null) {
            f.arguments = {};
            changed = true;
          }
          if (withoutNulls(f, NONE)) changed = true;
        }
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

/** Fields whose null has an answer of its own (Ollama's "model is required", a load). */
const KEPT_NULLS: ReadonlySet<string> = new Set(["model", "input"]);
const NONE: ReadonlySet<string> = new Set();

/** Deletes the fields set to null (but `kept`): what Go leaves unset. */
function withoutNulls(object: Record<string, unknown>, kept: ReadonlySet<string>): boolean {
  let changed = false;
  for (const key of Object.keys(object)) {
    if (object[key] === null && !kept.has(key)) {
      delete object[key];
      changed = true;
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
