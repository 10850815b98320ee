/**
 * Process entry: the baseline for the dummy path (no upstream): a bare Bun server that parses the
 * body and answers a fixed chat completion as JSON. Prints `{"url":…}` when listening.
 */
import { exitWithParent } from "./spawn.ts";

const CONTENT = "Sure! I can help you with Python code. What would you like to write: a script, a function, or a whole module?";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 0,
  async fetch(req) {
    const body = (await req.json()) as { model?: string };
    return Response.json({
      id: `chatcmpl-${crypto.randomUUID()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content: CONTENT, refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 42, completion_tokens: 24, total_tokens: 66 },
    });
  },
});

exitWithParent();
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
