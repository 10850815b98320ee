/**
 * Ollama's wire has no tool-call ids (a tool result names its tool with `tool_name`), the chat
 * pipeline links results to calls by id. The ids are made from the call's place in the conversation,
 * so the same history always gets the same ids and a later turn re-creates the ids of earlier ones.
 * Nine alphanumeric characters: the strictest format an OpenAI-compatible upstream asks for
 * (Mistral refuses any other), and plenty for the calls of one conversation.
 */
export function toolCallId(message: number, call: number, name: string): string {
  const hash = Bun.hash.wyhash(`${message}:${call}:${name}`);
  return hash.toString(36).padStart(9, "0").slice(-9);
}

/** A result with no call before it to answer still needs an id; it cannot clash with a call's. */
export const orphanResultId = (message: number, name: string): string => toolCallId(message, -1, name);

interface Pending {
  id: string;
  name: string;
  answered: boolean;
}

/**
 * Which call each `role: "tool"` message answers: the calls of the latest assistant turn, matched by
 * `tool_name` in order (two calls of one tool are answered in the order they were made), else the
 * first unanswered one — what Ollama's own templates assume when a result carries no name.
 */
export class ToolCallLinker {
  #pending: Pending[] = [];

  /** An assistant turn's calls: the ids its results will be linked to. */
  called(calls: readonly { id: string; name: string }[]): void {
    this.#pending = calls.map((call) => ({ id: call.id, name: call.name, answered: false }));
  }

  /** The id of the call this result answers, or undefined when no call is left to answer. */
  answer(toolName: string | undefined): string | undefined {
    const pending = this.#pending;
    let found: Pending | undefined;
    if (toolName) found = pending.find((p) => !p.answered && p.name === toolName);
    found ??= pending.find((p) => !p.answered);
    if (!found) return undefined;
    found.answered = true;
    return found.id;
  }

  /** The name of a call, for results that give an explicit id. */
  nameOf(id: string): string | undefined {
    const found = this.#pending.find((p) => p.id === id);
    if (found) found.answered = true;
    return found?.name;
  }
}
