import { describe, expect, test } from "bun:test";
import { wantsLogprobs } from "./surfaces/openai-responses/logprobs.ts";
import { tokenLogprobs } from "./token-logprobs.ts";

describe("tokenLogprobs", () => {
  test("a chat choice's logprobs in OpenAI's LogProb form: bytes kept, or the token's UTF-8 bytes where the provider gave none", () => {
    expect(
      tokenLogprobs({
        content: [
          { token: "Hé", logprob: -0.5, bytes: null, top_logprobs: [{ token: "Hi", logprob: -1.25 }, { token: "Yo", logprob: -2, bytes: [89, 111] }] },
          { token: "!", logprob: 0, bytes: [33], top_logprobs: [] },
        ],
        refusal: null,
      }),
    ).toEqual([
      { token: "Hé", logprob: -0.5, bytes: [72, 195, 169], top_logprobs: [{ token: "Hi", logprob: -1.25, bytes: [72, 105] }, { token: "Yo", logprob: -2, bytes: [89, 111] }] },
      { token: "!", logprob: 0, bytes: [33], top_logprobs: [] },
    ]);
  });

  test("anything else a provider sends is left out, never a crash", () => {
    for (const odd of [undefined, null, {}, { content: null }, { content: "x" }, 7]) expect(tokenLogprobs(odd)).toEqual([]);
    expect(
      tokenLogprobs({ content: [null, { token: 1, logprob: -1 }, { token: "a", logprob: "low" }, { token: "b", logprob: -1, bytes: ["x"], top_logprobs: [{ token: "c" }] }] }),
    ).toEqual([{ token: "b", logprob: -1, bytes: [98], top_logprobs: [] }]);
  });

  test("only include's message.output_text.logprobs asks for them", () => {
    expect(wantsLogprobs(["reasoning.encrypted_content", "message.output_text.logprobs"])).toBe(true);
    expect(wantsLogprobs(["reasoning.encrypted_content"])).toBe(false);
    expect(wantsLogprobs(null)).toBe(false);
    expect(wantsLogprobs(undefined)).toBe(false);
  });
});
