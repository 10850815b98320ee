import type { ChatRequest } from "../../schemas/chat.ts";
import { renameByRules, type RenameRules, withRenamedParam } from "../rename-param.ts";

/** Chat-request fields (what plugins and the pipeline name) → the Ollama fields they came from. */
const RULES: RenameRules = [
  [/^max_(?:completion_)?tokens$/, "options.num_predict"],
  [/^(temperature|top_p|seed|presence_penalty|frequency_penalty)$/, "options.$1"],
  [/^stop(?=\[|$)/, "options.stop"],
  [/^reasoning_effort$/, "think"],
  [/^response_format(?=\.|$).*/, "format"],
  [/^tools\[(\d+)\]\.function(?=\.|$)/, "tools[$1].function"],
];

const IMAGE = /^messages\[(\d+)\]\.content\[(\d+)\]/;
const MESSAGE = /^messages\[(\d+)\]/;

/**
 * A chat path in the Ollama request's terms. An image part is one of the message's `images` (the
 * chat message holds the text first, then one part per image); `/api/generate`'s two messages are
 * its `system` and its `prompt` (with `images`). Other message paths keep their index (`/api/chat`
 * messages map one to one); options and formats take their Ollama names.
 */
export function toOllamaPath(param: string, kind: "chat" | "generate", chat: ChatRequest): string {
  const image = IMAGE.exec(param);
  if (image) {
    const message = chat.messages[Number(image[1])];
    const parts = Array.isArray(message?.content) ? message.content : [];
    const part = Number(image[2]);
    if (parts[part]?.type === "image_url") {
      let n = 0;
      for (let k = 0; k < part; k++) if (parts[k]!.type === "image_url") n++;
      return kind === "chat" ? `messages[${image[1]}].images[${n}]` : `images[${n}]`;
    }
  }
  const message = MESSAGE.exec(param);
  if (message && kind === "generate") return chat.messages[Number(message[1])]?.role === "system" ? "system" : "prompt";
  if (message) return param;
  return renameByRules(param, RULES);
}

/** An error from the pipeline or a plugin, its param and message in the Ollama request's terms. */
export function withOllamaParam<E>(error: E, kind: "chat" | "generate", chat: ChatRequest): E {
  return withRenamedParam(error, (param) => toOllamaPath(param, kind, chat));
}
