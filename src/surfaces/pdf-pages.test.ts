import { describe, expect, test } from "bun:test";
import { deflateSync } from "node:zlib";
import { inflateBudget, MAX_INFLATED, MAX_PDF_PAGES, pdfPageCount } from "./pdf-pages.ts";

const page = (n: number) => `${n} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n`;

describe("pdfPageCount", () => {
  test("page objects in the file's own text, /Pages not counted", () => {
    const pdf = `%PDF-1.4\n2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R] >>\nendobj\n${page(3)}${page(4)}%%EOF\n`;
    expect(pdfPageCount(Buffer.from(pdf, "latin1"))).toBe(2);
  });

  test("page objects inside compressed object streams (PDF 1.5+), summed over the streams", () => {
    const objectStream = (objects: string) => {
      const data = deflateSync(Buffer.from(objects, "latin1"));
      return Buffer.concat([Buffer.from(`5 0 obj\n<< /Type /ObjStm /N 3 /First 20 /Length ${data.length} /Filter /FlateDecode >>\nstream\n`, "latin1"), data, Buffer.from("\nendstream\nendobj\n", "latin1")]);
    };
    const pdf = Buffer.concat([
      Buffer.from("%PDF-1.7\n", "latin1"),
      objectStream("<< /Type /Pages /Kids [6 0 R 7 0 R 8 0 R] >> << /Type /Page >> << /Type /Page >>"),
      objectStream("<< /Type/Page >> << /Type /Catalog /Pages 2 0 R >>"),
      // A stream that is not an object stream is not opened; one that does not inflate counts nothing.
      Buffer.from("9 0 obj\n<< /Length 8 /Filter /FlateDecode >>\nstream\n/Type /Page\nendstream\nendobj\n", "latin1"),
      Buffer.from("10 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\nnot zlib\nendstream\nendobj\n%%EOF\n", "latin1"),
    ]);
    expect(pdfPageCount(pdf)).toBe(4); // 3 in the object streams, 1 in the plain stream's bytes
  });

  test("the page tree's /Count when the pages themselves are not seen; at least 1", () => {
    expect(pdfPageCount(Buffer.from("%PDF-1.7\n1 0 obj << /Type /Pages /Count 36 /Kids [] >> endobj", "latin1"))).toBe(36);
    expect(pdfPageCount(Buffer.from("%PDF-1.7\n1 0 obj << /Count 12 /Type /Pages >> endobj", "latin1"))).toBe(12);
    expect(pdfPageCount(Buffer.from("%PDF-1.7\n%%EOF", "latin1"))).toBe(1);
  });

  test("a /Count past MAX_PDF_PAGES, or too long to be a number (400 digits: Infinity, a token count of null), is MAX_PDF_PAGES (a probe)", () => {
    for (const count of ["9".repeat(400), "9".repeat(25), String(MAX_PDF_PAGES + 1)]) {
      expect(pdfPageCount(Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Pages /Count ${count} /Kids [3 0 R] >> endobj`, "latin1"))).toBe(MAX_PDF_PAGES);
    }
  });

  test("hostile files are read in one pass (a probe): a /Type/Pages with no > after it, thousands of times; stream headers with one endstream", () => {
    // Was ~39 s of a held event loop for this 2 KB file (a pattern read the rest of the text from each /Type/Pages).
    const inflated = "/Type/Pages".repeat(64_000) + " /Count 7 >>";
    const data = deflateSync(Buffer.from(inflated, "latin1"));
    const bomb = Buffer.concat([Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n`, "latin1"), data, Buffer.from("\nendstream\nendobj\n", "latin1")]);
    expect(bomb.length).toBeLessThan(4000);
    expect(pdfPageCount(bomb)).toBe(7);
    expect(pdfPageCount(Buffer.from(`%PDF-1.7\n${"/Type/Pages".repeat(30_000)}`, "latin1"))).toBe(1);
    // Many stream headers with object-stream dictionaries and a single endstream at the very end.
    const headers = "<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n".repeat(20_000);
    expect(pdfPageCount(Buffer.from(`%PDF-1.7\n1 0 obj\n${headers}x\nendstream\nendobj\n`, "latin1"))).toBe(1);
  });

  test("one budget for all the PDFs of a request, charged for streams that fail too (a probe: 400 files of one bomb each held the event loop 30 s)", () => {
    const objectStream = (data: Buffer) =>
      Buffer.concat([Buffer.from("%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n", "latin1"), data, Buffer.from("\nendstream\nendobj\n%%EOF\n", "latin1")]);
    // Inflates past the whole budget: it fails, and what it may have inflated is spent.
    const bomb = objectStream(deflateSync(Buffer.alloc(MAX_INFLATED + 1024)));
    const pages = objectStream(deflateSync(Buffer.from("<< /Type /Page >> << /Type /Page >> << /Type /Page >>", "latin1")));
    expect(pdfPageCount(pages)).toBe(3);
    const budget = inflateBudget();
    expect(pdfPageCount(bomb, budget)).toBe(1);
    expect(budget.left).toBe(0);
    // The same request's next file is not inflated (its plain text has no page): the request's cost is bounded.
    expect(pdfPageCount(pages, budget)).toBe(1);
    // A small damaged stream is charged what it could have inflated, not the whole budget.
    const damaged = inflateBudget();
    pdfPageCount(objectStream(Buffer.from("not zlib", "latin1")), damaged);
    expect(damaged.left).toBe(MAX_INFLATED - "not zlib\n".length * 1032);
    expect(pdfPageCount(pages, damaged)).toBe(3);
  });
});
