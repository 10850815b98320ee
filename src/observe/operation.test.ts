import { describe, expect, test } from "bun:test";
import type { SurfaceName } from "../pipeline/outcome.ts";
import { operationOf } from "./operation.ts";

describe("operationOf", () => {
  test.each([
    ["chat", "/v1/chat/completions", "chat"],
    ["responses", "/v1/responses", "chat"],
    ["messages", "/v1/messages", "chat"],
    ["embeddings", "/v1/embeddings", "embeddings"],
    ["ollama", "/api/chat", "chat"],
    ["ollama", "/api/generate", "text_completion"],
    ["ollama", "/api/embed", "embeddings"],
    ["ollama", "/api/embeddings", "embeddings"],
  ] as [SurfaceName, string, string][])("%s %s → %s", (surface, path, expected) => {
    expect(operationOf({ surface, path }) as string).toBe(expected);
  });
});
