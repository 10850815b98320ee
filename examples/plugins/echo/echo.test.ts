import { expect, test } from "bun:test";
import type { ChatRequest } from "ollaix/plugin";
import { runPluginConformance } from "ollaix/plugin/testing";
import echo from "./index.ts";
import { lastUserText, toCompletion } from "./reply.ts";

// The whole contract, through a real gateway.
runPluginConformance(() => ({ plugin: echo, model: "echo-1", env: { ECHO_PREFIX: "you said: " } }));

const request = (content: ChatRequest["messages"][number]["content"]): ChatRequest => ({
  model: "echo-1",
  messages: [{ role: "user", content: "first" }, { role: "assistant", content: "ok" }, { role: "user", content }],
});

test("answers with the prefix and the last user message", () => {
  expect(toCompletion("> ", request("hello there")).choices[0]!.message.content).toBe("> hello there");
});

test("joins text parts and refuses images with a 400", () => {
  expect(lastUserText(request([{ type: "text", text: "a" }, { type: "text", text: "b" }]))).toBe("a b");
  expect(() => lastUserText(request([{ type: "image_url", image_url: { url: "data:image/png;base64,AA" } }]))).toThrow(
    expect.objectContaining({ status: 400 }),
  );
});
