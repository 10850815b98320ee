import { describe, expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer/encoding/cl100k_base";
import { deflateSync } from "node:zlib";
import type { Message } from "../schemas/chat.ts";
import { countPromptTokens } from "./token-count.ts";

const user = (content: string): Message[] => [{ role: "user", content }] as Message[];

describe("countPromptTokens", () => {
  test("a short prompt: the BPE count plus the message framing", async () => {
    const text = "Hello, what's your name?";
    expect(await countPromptTokens(user(text), undefined)).toBe(countTokens(text) + 3);
  });

  test("a JSON schema the answer must follow is counted as the model is given it; other formats add nothing", async () => {
    const json_schema = { name: "weather", schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: true };
    const prompt = user("Weather in Paris?");
    const bare = await countPromptTokens(prompt, undefined);
    expect(await countPromptTokens(prompt, undefined, { type: "json_schema", json_schema })).toBe(bare + countTokens(JSON.stringify(json_schema)));
    expect(await countPromptTokens(prompt, undefined, { type: "json_object" })).toBe(bare);
    expect(await countPromptTokens(prompt, undefined, { type: "text" })).toBe(bare);
  });

  test("files: a text file as its text, a PDF by its pages, an unreadable one as one page", async () => {
    const file = (file_data: string, filename?: string): Message[] => [{ role: "user", content: [{ type: "file", file: { file_data, filename } }] }] as Message[];
    const text = "Quarterly revenue grew by twelve percent.";
    expect(await countPromptTokens(file(`data:text/plain;base64,${Buffer.from(text).toString("base64")}`), undefined)).toBe(countTokens(text) + 3);
    const pdf = (pages: number) => Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Pages /Count ${pages} >>\n${"2 0 obj << /Type /Page /Parent 1 0 R >>\n".repeat(pages)}`).toString("base64");
    expect(await countPromptTokens(file(`data:application/pdf;base64,${pdf(3)}`), undefined)).toBe(3 * 2000 + 3);
    expect(await countPromptTokens(file(pdf(1), "scan.pdf"), undefined)).toBe(2000 + 3);
    expect(await countPromptTokens([{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }] as Message[], undefined)).toBe(2000 + 3);
    // The request's PDFs share one inflating budget: after a file that spends it, another's compressed pages are not read.
    const objectStream = (data: Buffer) =>
      Buffer.concat([Buffer.from("%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n", "latin1"), data, Buffer.from("\nendstream\nendobj\n%%EOF\n", "latin1")]).toString("base64");
    const bomb = objectStream(deflateSync(Buffer.alloc(17 * 1024 * 1024)));
    const compressed = objectStream(deflateSync(Buffer.from("<< /Type /Page >> << /Type /Page >>", "latin1")));
    const two: Message[] = [{ role: "user", content: [{ type: "file", file: { file_data: bomb, filename: "bomb.pdf" } }, { type: "file", file: { file_data: compressed, filename: "b.pdf" } }] }] as Message[];
    expect(await countPromptTokens(two, undefined)).toBe(2000 + 2000 + 3);
    expect(await countPromptTokens(file(compressed, "b.pdf"), undefined)).toBe(2 * 2000 + 3);
    // Data that cannot be read is the 400 the request itself would get, not a guess.
    await expect(countPromptTokens(file("@@@", "a.pdf"), undefined)).rejects.toMatchObject({ status: 400 });
  });

  test("long prose is counted in slices at spaces: within 1 % of the whole-text count", async () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(400);
    const whole = countTokens(text);
    const sliced = (await countPromptTokens(user(text), undefined)) - 3;
    expect(Math.abs(sliced - whole) / whole).toBeLessThan(0.01);
  });

  // BPE is quadratic on a run without spaces (100,000 characters of `a` take ~20 s whole): sliced,
  // a request this size finishes within the test's default time-out, and the count is still sane.
  test("a 500,000-character run without spaces is counted, not choked on", async () => {
    const n = await countPromptTokens(user("a".repeat(500_000)), undefined);
    expect(n).toBeGreaterThan(500_000 / 16);
    expect(n).toBeLessThan(500_000);
  });

  test("the BPE budget (200,000 characters) is the request's, all its texts together: past it, four characters a token (a probe: 49 texts of 200,000 held the loop 23 s)", async () => {
    // The first text spends the budget (counted before or not: the figure must not depend on it).
    const spend = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(" ").padEnd(200_000, " x").slice(0, 200_000);
    const after = "a ".repeat(2_000); // 4,000 characters: ~2,000 tokens by BPE, 1,000 by characters
    const parts = (...texts: string[]) => [{ role: "user", content: texts.map((text) => ({ type: "text", text })) }] as Message[];
    const both = await countPromptTokens(parts(spend, after), undefined);
    const alone = await countPromptTokens(parts(spend), undefined); // counted whole in the first: kept, so the same figure
    expect(both - alone).toBe(1_000);
    // A request of its own has its own budget: the same text BPE-counted.
    expect((await countPromptTokens(parts(after), undefined)) - 3).toBe(countTokens(after));
    // The same request again, its texts now known: the same figure (a review: a text known from before cost no budget).
    expect(await countPromptTokens(parts(spend, after), undefined)).toBe(both);
  });
});
