import { definePlugin, type ChatRequest, type ChatResult, type ChunkResult, type Provider } from "../../src/kit.ts";

/**
 * A provider whose next answers a test scripts: a list of chunks (streamed as they are; a complete
 * answer is assembled from them) or an error to throw, before or after some chunks. Every request
 * it receives is recorded, so tests see exactly what the Anthropic surface handed the plugin.
 */
export interface Script {
  chunks: ChunkResult[];
  /** Thrown after the chunks (a mid-stream failure), or at once when there are none. */
  error?: Error;
}

export interface ScriptedProvider extends Provider {
  received: ChatRequest[];
  /** The next answers, in order; when none is left the plugin answers "ok". */
  queue: Script[];
}

export const SCRIPTED_MODEL = "scripted-model";

export function createScripted(): ScriptedProvider {
  const received: ChatRequest[] = [];
  const queue: Script[] = [];
  const next = (request: ChatRequest): Script => {
    received.push(request);
    return queue.shift() ?? { chunks: [{ choices: [{ index: 0, delta: { content: "ok" }, finish_reason: "stop" }] }] };
  };
  return definePlugin({
    name: "scripted",
    models: [{ id: SCRIPTED_MODEL }],
    received,
    queue,
    async chat(request) {
      const script = next(request);
      if (script.error && script.chunks.length === 0) throw script.error;
      return assemble(script.chunks);
    },
    async *chatStream(request) {
      const script = next(request);
      for (const chunk of script.chunks) yield chunk;
      if (script.error) throw script.error;
    },
  } as Provider) as ScriptedProvider;
}

/** The complete answer the chunks add up to. */
function assemble(chunks: readonly ChunkResult[]): ChatResult {
  let content = "";
  let reasoning = "";
  const calls: { id: string; type: "function"; function: { name: string; arguments: string } }[] = [];
  let finish: ChatResult["choices"][number]["finish_reason"] = "stop";
  let usage: ChatResult["usage"];
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      const d = choice.delta;
      if (d.content) content += d.content;
      if (d.reasoning_content) reasoning += d.reasoning_content;
      for (const call of d.tool_calls ?? []) {
        const at = (calls[call.index] ??= { id: call.id ?? "", type: "function", function: { name: "", arguments: "" } });
        if (call.function?.name) at.function.name = call.function.name;
        if (call.function?.arguments) at.function.arguments += call.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  const message = { content: content === "" && calls.length > 0 ? null : content, ...(reasoning ? { reasoning_content: reasoning } : {}), ...(calls.length ? { tool_calls: calls } : {}) };
  return { choices: [{ index: 0, message, finish_reason: finish }], ...(usage ? { usage } : {}) };
}

/** Chunk builders for scripts. */
export const text = (content: string, finish_reason?: "stop" | "length"): ChunkResult => ({ choices: [{ index: 0, delta: { content }, ...(finish_reason ? { finish_reason } : {}) }] });
export const thinking = (reasoning_content: string): ChunkResult => ({ choices: [{ index: 0, delta: { reasoning_content } }] });
export const toolCall = (index: number, id: string, name: string, args: string): ChunkResult => ({
  choices: [{ index: 0, delta: { tool_calls: [{ index, id, type: "function", function: { name, arguments: args } }] } }],
});
/** A continuation of a streamed call: arguments only, no id or name (as OpenAI streams them). */
export const argumentsDelta = (index: number, args: string): ChunkResult => ({ choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: args } }] } }] });
export const finish = (finish_reason: "stop" | "tool_calls" | "length"): ChunkResult => ({ choices: [{ index: 0, delta: {}, finish_reason }] });
export const usage = (prompt_tokens: number, completion_tokens: number): ChunkResult => ({
  choices: [],
  usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
});
