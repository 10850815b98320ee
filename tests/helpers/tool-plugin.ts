import { definePlugin, type ChatRequest, type ChatResult, type ChunkResult } from "../../src/kit.ts";

/**
 * A test model that uses tools as a real one would: given tools and no tool result yet, it calls the
 * first tool with `{"city":"Paris"}` (thinking first), or with `{"input": CUSTOM_INPUT}` when the tool
 * takes one string `input` (a Responses custom tool); after a tool result it answers with that
 * result (and how many images followed it). Every request it received is recorded, so tests can see
 * what the gateway sent.
 * `tool-model-preamble` says "Let me check." before its call, as many models do.
 */
/** The text the model writes for a custom tool (quotes, a backslash and lines, as a patch has). */
export const CUSTOM_INPUT = '*** Begin Patch\n*** Add File: "a b.txt"\n+C:\\dir\n*** End Patch';

export function toolPlugin(received: ChatRequest[] = []) {
  const answer = (request: ChatRequest): ChatResult => {
    received.push(request);
    // A tool's images come after its result as user messages of image parts (the Responses surface's form).
    let end = request.messages.length - 1;
    let images = 0;
    for (let content = request.messages[end]?.content; Array.isArray(content) && content.some((part) => part.type === "image_url"); content = request.messages[--end]?.content) {
      if (request.messages[end]!.role !== "user") break;
      images += content.filter((part) => part.type === "image_url").length;
    }
    const last = request.messages[end];
    const tool = request.tools?.[0];
    if (tool && last?.role !== "tool") {
      const takesInput = (tool.function.parameters as { properties?: Record<string, unknown> } | undefined)?.properties?.input !== undefined;
      const args = takesInput ? JSON.stringify({ input: CUSTOM_INPUT }) : '{"city":"Paris"}';
      return {
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              content: request.model === "tool-model-preamble" ? "Let me check." : null,
              reasoning_content: "I should call the tool.",
              tool_calls: [{ id: `call_${received.length}`, type: "function", function: { name: tool.function.name, arguments: args } }],
            },
          },
        ],
        usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, completion_tokens_details: { reasoning_tokens: 3 } },
      };
    }
    const shown = images > 0 ? ` (+${images} image${images > 1 ? "s" : ""})` : "";
    const text = last?.role === "tool" ? `The tool said: ${String(last.content)}${shown}` : "No tool needed.";
    return {
      choices: [{ index: 0, finish_reason: "stop", message: { content: text } }],
      usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    };
  };
  return definePlugin({
    name: "tooly",
    models: [{ id: "tool-model" }, { id: "tool-model-preamble" }],
    async chat(request) {
      return answer(request);
    },
    async *chatStream(request): AsyncGenerator<ChunkResult> {
      const result = answer(request);
      const { message, finish_reason } = result.choices[0]!;
      const reasoning = (message as { reasoning_content?: string }).reasoning_content;
      if (reasoning) yield { choices: [{ index: 0, delta: { reasoning_content: reasoning } }] };
      if (message.content) {
        for (const piece of message.content.match(/.{1,8}/gs) ?? []) yield { choices: [{ index: 0, delta: { content: piece } }] };
      }
      for (const [index, call] of (message.tool_calls ?? []).entries()) {
        const args = call.function.arguments;
        // The arguments in pieces of 7 characters, as providers stream them (cut anywhere, escapes too).
        const pieces = args.match(/.{1,7}/gs) ?? [""];
        yield { choices: [{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: pieces[0] } }] } }] };
        for (const piece of pieces.slice(1)) yield { choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] } }] };
      }
      yield { choices: [{ index: 0, delta: {}, finish_reason }] };
      yield { choices: [], usage: result.usage };
    },
  });
}
