import { describe, expect, test } from "bun:test";
import { inlineFile, textOfFile } from "./file-parts.ts";
import type { ContentPart } from "./schemas/chat.ts";

const part = (file: ContentPart["file"]): ContentPart => ({ type: "file", file });
const PDF = Buffer.from("%PDF-1.4\n").toString("base64");
const paramOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return (error as { param?: unknown }).param;
  }
  return undefined;
};

describe("inlineFile", () => {
  test("a data URL says its type; whitespace in base64 is dropped", () => {
    expect(inlineFile(part({ file_data: `data:application/pdf;base64,${PDF}` }), "p")).toEqual({ mimeType: "application/pdf", data: PDF });
    expect(inlineFile(part({ file_data: "data:text/plain;base64,aGk=\n" }), "p")).toEqual({ mimeType: "text/plain", data: "aGk=" });
  });

  test("bare base64 takes its type from the file name's extension, or a PDF's first bytes", () => {
    expect(inlineFile(part({ file_data: "aGk=", filename: "notes.TXT" }), "p")).toEqual({ mimeType: "text/plain", data: "aGk=" });
    expect(inlineFile(part({ file_data: PDF, filename: "scan" }), "p").mimeType).toBe("application/pdf");
    expect(inlineFile(part({ file_data: PDF }), "p").mimeType).toBe("application/pdf");
  });

  test("what cannot be read is a 400 naming the field: no data, an uploaded file's id, an unknown type, not base64", () => {
    expect(paramOf(() => inlineFile(part({ filename: "a.pdf" }), "messages[0].content[1]"))).toBe("messages[0].content[1].file.file_data");
    expect(paramOf(() => inlineFile(part({ file_id: "file-1" }), "messages[0].content[1]"))).toBe("messages[0].content[1].file.file_id");
    expect(paramOf(() => inlineFile(part({ file_data: "aGk=" }), "m"))).toBe("m.file.file_data");
    expect(paramOf(() => inlineFile(part({ file_data: "not base64!", filename: "a.txt" }), "m"))).toBe("m.file.file_data");
    expect(paramOf(() => inlineFile({ type: "file" }, "m"))).toBe("m.file.file_data");
  });
});

describe("textOfFile", () => {
  test("text, JSON and XML files are their UTF-8 text; others have none", () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    expect(textOfFile({ mimeType: "text/csv", data: b64("a,b\n1,2") })).toBe("a,b\n1,2");
    expect(textOfFile({ mimeType: "application/json", data: b64('{"é":1}') })).toBe('{"é":1}');
    expect(textOfFile({ mimeType: "application/pdf", data: PDF })).toBeUndefined();
  });
});
