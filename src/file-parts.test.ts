import { describe, expect, test } from "bun:test";
import { dataUrlType, fileFromData, fileNameFor, inlineFile, textOfFile } from "./file-parts.ts";
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

describe("fileFromData", () => {
  test("data that is not base64 is a 400 naming the field, in a data URL too", () => {
    expect(paramOf(() => fileFromData("data:application/pdf;base64,!!not base64!!", undefined, "input[0].content[1].file_data"))).toBe("input[0].content[1].file_data");
    expect(paramOf(() => fileFromData("@@@", "a.pdf", "f"))).toBe("f");
    // A data URL without ;base64 is read as text (URL-encoded), as for images.
    expect(fileFromData("data:text/plain,caf%C3%A9", undefined, "f")).toEqual({ mimeType: "text/plain", data: Buffer.from("café").toString("base64") });
  });

  // A pattern that backtracks would take seconds on this (quadratic in the run of newlines); the
  // check removes whitespace first, so it is one pass.
  test("a long run of whitespace before a bad character is refused in one pass", () => {
    expect(paramOf(() => fileFromData(`${"\n".repeat(400_000)}!`, "a.pdf", "f"))).toBe("f");
    expect(fileFromData(`${"\r\n".repeat(100_000)}JVBERi0=`, undefined, "f")).toEqual({ mimeType: "application/pdf", data: "JVBERi0=" });
  });
});

describe("names and types", () => {
  test("dataUrlType reads the head only; fileNameFor gives a name by type", () => {
    expect(dataUrlType("data:Application/PDF;base64,JVBERi0=")).toBe("application/pdf");
    expect(dataUrlType("data:,hello")).toBe("text/plain");
    expect(dataUrlType("JVBERi0=")).toBeUndefined();
    expect(fileNameFor("application/pdf")).toBe("document.pdf");
    expect(fileNameFor("text/plain")).toBe("document.txt");
    expect(fileNameFor("audio/wav")).toBe("document.bin");
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

describe("a text file's declared charset (a probe)", () => {
  const file = (url: string): ContentPart => ({ type: "file", file: { file_data: url } }) as ContentPart;
  test("Latin-1 and UTF-16 text reach providers as UTF-8 (Ollama read a Latin-1 'héllo' as 'h\uFFFDllo')", () => {
    const latin1 = inlineFile(file(`data:text/plain;charset=iso-8859-1;base64,${Buffer.from([0x68, 0xe9, 0x6c, 0x6c, 0x6f]).toString("base64")}`), "messages[0].content[0]");
    expect(latin1).toEqual({ mimeType: "text/plain", data: Buffer.from("héllo", "utf8").toString("base64") });
    expect(textOfFile(latin1)).toBe("héllo");
    const utf16 = inlineFile(file(`data:text/csv;charset=UTF-16LE;base64,${Buffer.from("a,é", "utf16le").toString("base64")}`), "messages[0].content[0]");
    expect(textOfFile(utf16)).toBe("a,é");
  });

  test("UTF-8 declared, an unknown charset, or a file that is not text: as sent, without the charset", () => {
    const utf8 = Buffer.from("héllo", "utf8").toString("base64");
    expect(inlineFile(file(`data:text/plain;charset=utf-8;base64,${utf8}`), "m")).toEqual({ mimeType: "text/plain", data: utf8 });
    expect(inlineFile(file(`data:text/plain;charset=x-no-such;base64,${utf8}`), "m")).toEqual({ mimeType: "text/plain", data: utf8 });
    expect(inlineFile(file(`data:application/pdf;charset=iso-8859-1;base64,${PDF}`), "m")).toEqual({ mimeType: "application/pdf", data: PDF });
  });
});
