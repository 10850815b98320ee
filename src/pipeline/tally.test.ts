import { describe, expect, test } from "bun:test";
import type { Usage } from "../schemas/common.ts";
import { toTokenUsage } from "./tally.ts";

describe("toTokenUsage", () => {
  test("a provider's figures as they are", () => {
    expect(toTokenUsage({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, completion_tokens_details: { reasoning_tokens: 3 } })).toEqual({ input: 12, output: 7, reasoning: 3 });
    expect(toTokenUsage(undefined)).toBeUndefined();
    expect(toTokenUsage(null)).toBeUndefined();
  });

  test("negative, fractional or non-numeric figures from a broken upstream count as none, never below zero", () => {
    const broken = { prompt_tokens: -5, completion_tokens: "7", total_tokens: 2, completion_tokens_details: { reasoning_tokens: Number.NaN } } as unknown as Usage;
    expect(toTokenUsage(broken)).toEqual({ input: 0, output: 0, reasoning: 0 });
    expect(toTokenUsage({ prompt_tokens: 2.7, completion_tokens: Infinity, total_tokens: 0 })).toEqual({ input: 2, output: 0, reasoning: 0 });
  });
});
