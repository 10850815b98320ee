import type { MessagesRequest } from "./schema.ts";

/** Anthropic's beta that streams every tool's input as the model writes it (`fine-grained-tool-streaming-2025-05-14`). */
const FINE_GRAINED = "fine-grained-tool-streaming";

/**
 * Which tools' input a stream sends as it comes (fine-grained tool streaming) rather than checked
 * whole at its block's end: a tool's own `eager_input_streaming` (true or false), else the request's
 * `anthropic-beta` header naming the fine-grained beta. Undefined when no tool streams its input.
 */
export function eagerTools(req: Pick<MessagesRequest, "tools">, request: Request): ((name: string) => boolean) | undefined {
  const tools = req.tools;
  if (tools === undefined || tools.length === 0) return undefined;
  const beta = request.headers.get("anthropic-beta")?.includes(FINE_GRAINED) === true;
  let eager: Set<string> | undefined;
  for (const tool of tools) {
    if (tool.name !== undefined && (tool.eager_input_streaming ?? beta) === true) (eager ??= new Set()).add(tool.name);
  }
  return eager === undefined ? undefined : (name) => eager.has(name);
}
