import { afterAll, describe, expect, test } from "bun:test";
import { FetchMemory } from "./fetch-memory.ts";
import { hasFileUrls, loadFileUrls, MAX_FETCHED_FILES } from "./file-fetch.ts";
import type { ChatRequest, Message } from "./schemas/chat.ts";

const PDF = Buffer.from("%PDF-1.7\n%%EOF\n");
const served: string[] = [];
const files = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const path = new URL(request.url).pathname;
    served.push(path);
    if (path === "/q3%20report.pdf") return new Response(PDF, { headers: { "content-type": "application/octet-stream" } });
    if (path === "/notes") return new Response("hello", { headers: { "content-type": "text/plain; charset=utf-8" } });
    if (path === "/to-notes") return Response.redirect("/notes", 302);
    if (path === "/slow") {
      // A byte now and then for a minute, unless the client leaves.
      let timer: ReturnType<typeof setInterval> | undefined;
      const body = new ReadableStream({
        start: (controller) => void (timer = setInterval(() => controller.enqueue(new Uint8Array([37])), 50)),
        cancel: () => {
          clearInterval(timer);
          served.push("/slow cancelled");
        },
      });
      request.signal.addEventListener("abort", () => {
        clearInterval(timer);
        served.push("/slow aborted");
      });
      return new Response(body, { headers: { "content-type": "application/pdf" } });
    }
    return new Response("no", { status: 404 });
  },
});
afterAll(() => files.stop(true));
const at = (path: string) => `http://127.0.0.1:${files.port}${path}`;
const open = { allowPrivate: true };
const request = (messages: Message[]): ChatRequest => ({ model: "m", messages });
const fileAt = (url: string, filename?: string) => ({ type: "file" as const, file: filename === undefined ? { file_url: url } : { file_url: url, filename } });
const failure = async (run: Promise<unknown>) => run.then(() => undefined, (error: unknown) => error);

describe("loadFileUrls", () => {
  test("each file named by URL holds its data as a data URL, named by the URL (or as given); its type by content-type, else the name", async () => {
    const untouched: Message = { role: "system", content: "Be brief." };
    const chat = request([untouched, { role: "user", content: [{ type: "text", text: "Compare." }, fileAt(at("/q3%20report.pdf")), fileAt(at("/to-notes"), "n.txt")] }]);
    const loaded = await loadFileUrls(chat, open);
    expect(loaded.messages[0]).toBe(untouched);
    expect(loaded.messages[1]!.content).toEqual([
      { type: "text", text: "Compare." },
      { type: "file", file: { file_data: `data:application/pdf;base64,${PDF.toString("base64")}`, filename: "q3 report.pdf" } },
      { type: "file", file: { file_data: `data:text/plain;base64,${Buffer.from("hello").toString("base64")}`, filename: "n.txt" } },
    ]);
    // The caller's request is not changed.
    expect((chat.messages[1]!.content as { file?: object }[])[1]!.file).toEqual({ file_url: at("/q3%20report.pdf") });
    expect(hasFileUrls(chat.messages)).toBe(true);
    expect(hasFileUrls(loaded.messages)).toBe(false);
  });

  test("the request's files share one budget; a failure stops the other fetches", async () => {
    const two = request([{ role: "user", content: [fileAt(at("/q3%20report.pdf")), fileAt(at("/notes"))] }]);
    const over = await failure(loadFileUrls(two, { ...open, budgetBytes: PDF.length + 2 }));
    expect(over).toMatchObject({ status: 400, message: expect.stringContaining(`larger than ${PDF.length + 2} bytes together`) });
    expect((await loadFileUrls(two, { ...open, budgetBytes: PDF.length + 5 })).messages[0]!.content).toHaveLength(2);

    const slowAndMissing = request([{ role: "user", content: [fileAt(at("/slow")), fileAt(at("/missing.pdf"))] }]);
    expect(await failure(loadFileUrls(slowAndMissing, open))).toMatchObject({ status: 400, param: "messages[0].content[1].file.file_url" });
    // The slow file's fetch is dropped at once, not left to its 15 s time-out.
    for (let i = 0; i < 50 && !served.some((line) => line.startsWith("/slow ")); i++) await Bun.sleep(20);
    expect(served.some((line) => line.startsWith("/slow "))).toBe(true);
  });

  test("the bytes read count in the gateway's memory for fetched bytes, all requests together: spent, the fetch stops with a 503 server_busy", async () => {
    const memory = new FetchMemory(PDF.length + 3); // the PDF and 3 bytes more
    const first = memory.hold();
    const loaded = await loadFileUrls(request([{ role: "user", content: [fileAt(at("/q3%20report.pdf"))] }]), { ...open, held: first });
    expect(loaded.messages[0]!.content).toHaveLength(1);
    expect(memory.leftBytes).toBe(3); // held until its request ends, not only while it was read
    // "hello" (5 bytes, declared) does not fit beside it; a body without a declared length is stopped as it is read.
    const refused = await failure(loadFileUrls(request([{ role: "user", content: [fileAt(at("/notes"))] }]), { ...open, held: memory.hold() }));
    expect(refused).toMatchObject({ status: 503, code: "server_busy" });
    const slow = memory.hold();
    const before = served.length;
    expect(await failure(loadFileUrls(request([{ role: "user", content: [fileAt(at("/slow"))] }]), { ...open, held: slow }))).toMatchObject({ status: 503, code: "server_busy" });
    const stopped = () => served.slice(before).some((line) => line.startsWith("/slow "));
    for (let i = 0; i < 50 && !stopped(); i++) await Bun.sleep(20);
    expect(stopped()).toBe(true); // the fetch is stopped at once, not read for its minute
    slow.release();
    first.release();
    expect(memory.leftBytes).toBe(PDF.length + 3);
    expect((await loadFileUrls(request([{ role: "user", content: [fileAt(at("/notes"))] }]), { ...open, held: memory.hold() })).messages[0]!.content).toHaveLength(1);
  });

  test("a declared length that is no number is not taken for a size beyond the gateway's memory: the body is counted as it is read", async () => {
    const memory = new FetchMemory(1024);
    const odd = (() => Promise.resolve(new Response(PDF, { headers: { "content-type": "application/pdf", "content-length": "many" } }))) as unknown as typeof fetch;
    const loaded = await loadFileUrls(request([{ role: "user", content: [fileAt("http://files.example/a.pdf")] }]), { ...open, held: memory.hold(), fetch: odd, resolve: async () => ["93.184.216.34"] });
    expect(loaded.messages[0]!.content).toHaveLength(1);
    expect(memory.leftBytes).toBe(1024 - PDF.length);
  });

  test("a failure is a 400 naming the part: an HTTP error, a private address unless allowed, too many files", async () => {
    const one = (url: string) => request([{ role: "user", content: [{ type: "text", text: "x" }, fileAt(url)] }]);
    expect(await failure(loadFileUrls(one(at("/missing.pdf")), open))).toMatchObject({ status: 400, param: "messages[0].content[1].file.file_url", message: expect.stringContaining("HTTP 404") });
    const before = served.length;
    expect(await failure(loadFileUrls(one(at("/notes")), { allowPrivate: false }))).toMatchObject({ status: 400, param: "messages[0].content[1].file.file_url" });
    expect(served.length).toBe(before); // refused before connecting
    const many = request([{ role: "user", content: Array.from({ length: MAX_FETCHED_FILES + 1 }, () => fileAt(at("/notes"))) }]);
    expect(await failure(loadFileUrls(many, open))).toMatchObject({ status: 400, param: `messages[0].content[${MAX_FETCHED_FILES}].file.file_url` });
    expect(served.length).toBe(before);
  });
});
