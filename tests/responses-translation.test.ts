// What reaches a provider for a Responses request: through the openai-compatible plugin to a fake
// OpenAI upstream that records every body, and through the Ollama plugin for thinking (both ways).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { jsonResponse, openAIHandler, sseResponse } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { COMPLETION, TEXT_CHUNKS_WITH_USAGE } from "../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import dummy from "../plugins/dummy/index.ts";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { chatLine, doneLine, ndjsonResponse } from "./ollama/fake-ollama.ts";
import { defaultRoutes, startOllamaE2E, type OllamaE2E } from "./ollama/e2e.ts";
import { type GeminiGateway, startGeminiGateway } from "../plugins/gemini/__fixtures__/gemini-gateway.ts";
import { json as geminiJson } from "../plugins/gemini/__fixtures__/fake-gemini.ts";

describe("through the openai-compatible plugin", () => {
  let fake: FakeServer;
  let gw: TestGateway;
  let client: OpenAI;
  beforeAll(async () => {
    // As OpenAI, the upstream says which tier served a request that asked for flex (and, as
    // OpenAI's answers, the fixture's say `default` otherwise: a stream's chunks only when asked here).
    fake = startFakeServer((request) => {
      const body = request.body as { service_tier?: string; stream?: boolean; safety_identifier?: string } | undefined;
      const tier = body?.service_tier === "flex" ? "flex" : body?.safety_identifier === "tier-said" ? "default" : body?.safety_identifier === "groq" ? "on_demand" : undefined;
      if (request.path !== "/v1/chat/completions" || tier === undefined) return openAIHandler(request);
      if (body!.stream === true) return sseResponse(TEXT_CHUNKS_WITH_USAGE.map((chunk) => ({ ...chunk, service_tier: tier })));
      return jsonResponse({ ...COMPLETION, service_tier: tier });
    });
    gw = await startTestGateway({ OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-upstream" }, [dummy, openaiCompatible]);
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });
  const lastChatBody = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body as Record<string, unknown>;

  test("instructions, items, tools, tool_choice, formats, effort, limits and sampling reach the upstream as Chat Completions", async () => {
    const response = await client.responses.create({
      model: "gpt-4o-mini",
      instructions: "You are terse.",
      input: [
        { role: "developer", content: "Use metric units." },
        { role: "user", content: [{ type: "input_text", text: "Weather?" }, { type: "input_image", image_url: "https://img.example/cat.png", detail: "high" }] },
        { type: "function_call", call_id: "call_9", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "call_9", output: "-3 C" },
      ],
      tools: [{ type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }],
      tool_choice: "required",
      parallel_tool_calls: false,
      text: { format: { type: "json_schema", name: "answer", schema: { type: "object", properties: { t: { type: "number" } } }, strict: true } },
      reasoning: { effort: "low" },
      max_output_tokens: 300,
      temperature: 0.2,
      top_p: 0.5,
      user: "user-7",
      metadata: { ticket: "42" },
      store: false,
    });
    expectOpenAI("Response", response);
    expect(lastChatBody()).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: "Use metric units." },
        { role: "user", content: [{ type: "text", text: "Weather?" }, { type: "image_url", image_url: { url: "https://img.example/cat.png", detail: "high" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
        { role: "tool", tool_call_id: "call_9", content: "-3 C" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false } }],
      parallel_tool_calls: false,
      tool_choice: "required",
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { t: { type: "number" } } }, strict: true } },
      reasoning_effort: "low",
      max_completion_tokens: 300,
      temperature: 0.2,
      top_p: 0.5,
      user: "user-7",
    });
  });

  test("prompt_cache_key, prompt_cache_retention, prompt_cache_options, safety_identifier, service_tier and text.verbosity reach the upstream as Chat Completions has them; verbosity is echoed", async () => {
    const response = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Hi",
      store: false,
      prompt_cache_key: "conv-42",
      prompt_cache_retention: "24h",
      ...({ prompt_cache_options: { mode: "implicit", ttl: "30m" } } as object),
      safety_identifier: "user-hash-7",
      service_tier: "flex",
      text: { verbosity: "low" },
    });
    expectOpenAI("Response", response);
    expect(response.text).toEqual({ format: { type: "text" }, verbosity: "low" });
    // Echoed; the tier is the one the upstream says served it.
    expect(response).toMatchObject({ prompt_cache_key: "conv-42", prompt_cache_retention: "24h", safety_identifier: "user-hash-7", service_tier: "flex" });
    expect(lastChatBody()).toMatchObject({
      prompt_cache_key: "conv-42",
      prompt_cache_retention: "24h",
      prompt_cache_options: { mode: "implicit", ttl: "30m" },
      safety_identifier: "user-hash-7",
      service_tier: "flex",
      verbosity: "low",
    });
    const streamed = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, stream: true, service_tier: "flex" });
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of streamed) if (event.type === "response.completed") final = event.response;
    expect(final?.service_tier).toBe("flex");
    // The tier that served it is said whether or not one was asked for, as OpenAI's Response does; none said, none shown.
    expect((await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false })).service_tier).toBe("default");
    const saidStream = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, stream: true, safety_identifier: "tier-said" });
    let saidFinal: OpenAI.Responses.Response | undefined;
    for await (const event of saidStream) if (event.type === "response.completed") saidFinal = event.response;
    expect(saidFinal?.service_tier).toBe("default");
    // A tier that is none of OpenAI's (Groq's on_demand) is not said: the Response would break OpenAI's schema.
    const groq = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, safety_identifier: "groq" });
    expectOpenAI("Response", groq);
    expect(groq.service_tier).toBeUndefined();
    const groqAsked = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, safety_identifier: "groq", service_tier: "auto" });
    expect(groqAsked.service_tier).toBe("default");
    const unsaid = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, stream: true });
    let unsaidFinal: OpenAI.Responses.Response | undefined;
    for await (const event of unsaid) if (event.type === "response.completed") unsaidFinal = event.response;
    expect(unsaidFinal?.status).toBe("completed");
    expect(unsaidFinal?.service_tier).toBeUndefined();
    expect((await client.responses.create({ model: "dummy-model:1.0", input: "Hi", store: false })).service_tier).toBeUndefined();
    for (const field of ["prompt_cache_key", "prompt_cache_retention", "prompt_cache_options", "safety_identifier", "service_tier", "verbosity"]) expect(lastChatBody()).not.toHaveProperty(field);

    // Explicit cache breakpoints ride on the text parts they mark, as Chat Completions' text parts carry them; stored, they are kept.
    const breakpoint = { mode: "explicit" as const };
    const marked = await client.responses.create({
      model: "gpt-4o-mini",
      input: [{ role: "user", content: [{ type: "input_text", text: "A long, reusable preamble.", prompt_cache_breakpoint: breakpoint } as OpenAI.Responses.ResponseInputText] }],
      ...({ prompt_cache_options: { mode: "explicit" } } as object),
    });
    expect((lastChatBody() as { messages: unknown[] }).messages).toEqual([{ role: "user", content: [{ type: "text", text: "A long, reusable preamble.", prompt_cache_breakpoint: breakpoint }] }]);
    const listed = await client.responses.inputItems.list(marked.id);
    expect((listed.data[0] as { content: unknown[] }).content).toEqual([{ type: "input_text", text: "A long, reusable preamble.", prompt_cache_breakpoint: breakpoint }]);
    await client.responses.create({ model: "gpt-4o-mini", previous_response_id: marked.id, input: "Next.", store: false });
    expect((lastChatBody() as { messages: { content: unknown }[] }).messages[0]!.content).toEqual([{ type: "text", text: "A long, reusable preamble.", prompt_cache_breakpoint: breakpoint }]);
  });

  test("namespace tools (Codex's MCP tools) reach the upstream as <namespace>__<name> functions; their calls come back with namespace and name, streamed and not, and go back as they came", async () => {
    const tools: OpenAI.Responses.Tool[] = [
      { type: "namespace", name: "crm", description: "The CRM", tools: [{ type: "function", name: "find_contact", description: "Find a contact", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: false }] } as never,
    ];
    const call = (stream: boolean) =>
      stream
        ? sseResponse([
            { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_7", type: "function", function: { name: "crm__find_contact", arguments: "" } }] }, finish_reason: null }] },
            { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":"Ada"}' } }] }, finish_reason: "tool_calls" }] },
          ])
        : Response.json({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [{ id: "call_7", type: "function", function: { name: "crm__find_contact", arguments: '{"q":"Ada"}' } }] }, finish_reason: "tool_calls" }] });
    fake.handle((request) => (request.path === "/v1/chat/completions" ? call((request.body as { stream?: boolean }).stream === true) : openAIHandler(request)));
    try {
      const response = await client.responses.create({ model: "gpt-4o-mini", input: "Find Ada.", tools, store: false });
      expectOpenAI("Response", response);
      expect((lastChatBody().tools as { function: { name: string; description?: string } }[]).map((t) => t.function)).toMatchObject([{ name: "crm__find_contact", description: "Find a contact (crm: The CRM)" }]);
      expect(response.output[0]).toMatchObject({ type: "function_call", namespace: "crm", name: "find_contact", arguments: '{"q":"Ada"}', call_id: "call_7" });
      expect(response.tools[0]).toMatchObject({ type: "namespace", name: "crm" });

      const items: unknown[] = [];
      for await (const event of await client.responses.create({ model: "gpt-4o-mini", input: "Find Ada.", tools, store: false, stream: true })) {
        expectOpenAI("ResponseStreamEvent", event);
        if (event.type === "response.output_item.added" || event.type === "response.output_item.done") items.push(event.item);
      }
      expect(items).toMatchObject([{ type: "function_call", namespace: "crm", name: "find_contact" }, { type: "function_call", namespace: "crm", name: "find_contact", arguments: '{"q":"Ada"}' }]);

      fake.handle(openAIHandler);
      await client.responses.create({
        model: "gpt-4o-mini",
        tools,
        store: false,
        input: [{ role: "user", content: "Find Ada." }, response.output[0] as OpenAI.Responses.ResponseInputItem, { type: "function_call_output", call_id: "call_7", output: "Ada Lovelace" }],
      });
      expect((lastChatBody().messages as unknown[]).slice(1)).toEqual([
        { role: "assistant", content: null, tool_calls: [{ id: "call_7", type: "function", function: { name: "crm__find_contact", arguments: '{"q":"Ada"}' } }] },
        { role: "tool", tool_call_id: "call_7", content: "Ada Lovelace" },
      ]);
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("input_file parts reach the upstream as Chat Completions file parts, an uploaded file's id included (the upstream's to read); chat file parts pass as sent", async () => {
    const pdf = `data:application/pdf;base64,${Buffer.from("%PDF-1.7\n").toString("base64")}`;
    await client.responses.create({
      model: "gpt-4o-mini",
      input: [{ role: "user", content: [{ type: "input_text", text: "Compare." }, { type: "input_file", file_data: pdf, filename: "a.pdf" }, { type: "input_file", file_id: "file-abc123" }] }],
      store: false,
    });
    expect((lastChatBody().messages as unknown[])[0]).toEqual({
      role: "user",
      content: [{ type: "text", text: "Compare." }, { type: "file", file: { file_data: pdf, filename: "a.pdf" } }, { type: "file", file: { file_id: "file-abc123" } }],
    });
    // What the Agents SDK's chat model sends back: a refused turn as refusal parts, thinking as `reasoning`.
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "user", content: "Do the bad thing." },
        { role: "assistant", content: [{ type: "refusal", refusal: "I can't." }], reasoning: "Not allowed." } as never,
        { role: "user", content: "Then the good one." },
      ],
    });
    expect((lastChatBody().messages as unknown[])[1]).toMatchObject({ role: "assistant", content: [{ type: "text", text: "I can't." }], reasoning_content: "Not allowed." });
    const file = { type: "file" as const, file: { file_id: "file-abc123", filename: "a.pdf" } };
    const audio = { type: "input_audio" as const, input_audio: { data: "SUQz", format: "mp3" as const } };
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "text", text: "Read it." }, file, audio] }] });
    expect((lastChatBody().messages as unknown[])[0]).toEqual({ role: "user", content: [{ type: "text", text: "Read it." }, file, audio] });
  });

  test("a function output's images reach the upstream after the tool messages as a user message; input_items lists them in OpenAI's form", async () => {
    const shot = "https://img.example/screen.png";
    const response = await client.responses.create({
      model: "gpt-4o-mini",
      input: [
        { role: "user", content: "What is on screen?" },
        { type: "function_call", call_id: "call_s", name: "screenshot", arguments: "{}" },
        { type: "function_call", call_id: "call_t", name: "title", arguments: "{}" },
        { type: "function_call_output", call_id: "call_s", output: [{ type: "input_text", text: "Screen 1:" }, { type: "input_image", image_url: shot, detail: "low" }] },
        { type: "function_call_output", call_id: "call_t", output: "Editor" },
      ],
    });
    expectOpenAI("Response", response);
    expect((lastChatBody().messages as unknown[]).slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [expect.objectContaining({ id: "call_s" }), expect.objectContaining({ id: "call_t" })] },
      { role: "tool", tool_call_id: "call_s", content: "Screen 1:" },
      { role: "tool", tool_call_id: "call_t", content: "Editor" },
      { role: "user", content: [{ type: "text", text: "[images returned by tool call call_s]" }, { type: "image_url", image_url: { url: shot, detail: "low" } }] },
    ]);
    const page = (await (await fetch(`${gw.url}/v1/responses/${response.id}/input_items?order=asc`)).json()) as { data: unknown[] };
    expectOpenAI("ResponseItemList", page);
    expect(page.data[3]).toMatchObject({
      type: "function_call_output",
      call_id: "call_s",
      output: [{ type: "input_text", text: "Screen 1:" }, { type: "input_image", image_url: shot, detail: "low" }],
    });

    // Continued, with the outputs sent again as openai-node loops do: the images are read once.
    await client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: response.id,
      input: [{ type: "function_call_output", call_id: "call_s", output: [{ type: "input_text", text: "Screen 1:" }, { type: "input_image", image_url: shot, detail: "low" }] }, { role: "user", content: "And now?" }],
    });
    const roles = (lastChatBody().messages as { role: string }[]).map((message) => message.role);
    expect(roles).toEqual(["user", "assistant", "tool", "tool", "user", "assistant", "user"]);
  });

  test("the upstream's tool call comes back as a function_call item; a streamed answer asks for usage", async () => {
    const response = await client.responses.create({ model: "gpt-4o-mini", input: "Weather in Paris?", tools: [{ type: "function", name: "get_weather", parameters: null, strict: null }] });
    expectOpenAI("Response", response);
    expect(response.output.some((o) => o.type === "function_call")).toBe(true);

    const stream = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", stream: true, text: { format: { type: "json_object" } } });
    for await (const event of stream) expectOpenAI("ResponseStreamEvent", event);
    expect(lastChatBody()).toMatchObject({ stream: true, stream_options: { include_usage: true }, response_format: { type: "json_object" } });
  });

  test("additional_tools items (OpenAI's developer-provided tools): their tools join the request's upstream, calls of them come back as their kind, they are listed and carried by a continuation", async () => {
    const raw = (body: unknown) => fetch(`${gw.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const lookup = { type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const shell = { type: "custom", name: "shell", description: "Runs a command" };
    const extra = { type: "function", name: "extra_fn", parameters: { type: "object", properties: {} } };
    // The upstream calls the custom tool the item gave.
    fake.handle((request) =>
      request.path === "/v1/chat/completions"
        ? jsonResponse({ ...COMPLETION, choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [{ id: "call_sh", type: "function", function: { name: "shell", arguments: '{"input":"ls"}' } }] }, finish_reason: "tool_calls" }] })
        : openAIHandler(request),
    );
    try {
      const first = await raw({
        model: "gpt-4o-mini",
        tools: [lookup],
        input: [{ role: "user", content: "List the files" }, { type: "additional_tools", role: "developer", tools: [shell, extra] }],
      });
      expect(first.status).toBe(200);
      const response = (await first.json()) as OpenAI.Responses.Response;
      expectOpenAI("Response", response);
      expect((lastChatBody().tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toEqual(["lookup", "shell", "extra_fn"]);
      expect(lastChatBody().messages).toEqual([{ role: "user", content: "List the files" }]);
      expect(response.output).toEqual([expect.objectContaining({ type: "custom_tool_call", call_id: "call_sh", name: "shell", input: "ls" })]);
      // The echoed tools are the request's own; the item is listed as OpenAI's AdditionalTools.
      expect(response.tools.map((tool) => (tool as { name: string }).name)).toEqual(["lookup"]);
      const items = (await (await fetch(`${gw.url}/v1/responses/${response.id}/input_items?order=asc`)).json()) as { data: Record<string, unknown>[] };
      expectOpenAI("ResponseItemList", items);
      // Its function tool in OpenAI's full FunctionTool form (strict, description: null), as a Response echoes tools (a probe: as sent, it broke the schema).
      expect(items.data[1]).toEqual({ id: expect.stringMatching(/^at_/), type: "additional_tools", role: "developer", tools: [{ ...shell, format: { type: "text" } }, { ...extra, description: null, strict: null }] });
      // A continuation carries them; the item sent again (by the client, as listed) is read once.
      fake.handle(openAIHandler);
      const next = await raw({
        model: "gpt-4o-mini",
        tools: [lookup],
        previous_response_id: response.id,
        input: [items.data[1], { type: "custom_tool_call_output", call_id: "call_sh", output: "a.txt" }],
      });
      expect([next.status, next.status === 200 ? "" : await next.text()]).toEqual([200, ""]);
      expect((lastChatBody().tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toEqual(["lookup", "shell", "extra_fn"]);
    } finally {
      fake.handle(openAIHandler);
    }
    // Refusals name the item's own fields.
    for (const [input, param] of [
      [[{ role: "user", content: "x" }, { type: "additional_tools", role: "user", tools: [lookup] }], "input[1].role"],
      [[{ role: "user", content: "x" }, { type: "additional_tools", role: "developer" }], "input[1].tools"],
      [[{ role: "user", content: "x" }, { type: "additional_tools", role: "developer", tools: [{ type: "web_search" }] }], "input[1].tools[0].type"],
      [[{ role: "user", content: "x" }, { type: "additional_tools", role: "developer", tools: [{ ...lookup, description: "another" }] }], "input[1].tools[0].name"],
      // A tool given again as it was is read once: the refusal still names the item's own place of the next one.
      [[{ role: "user", content: "x" }, { type: "additional_tools", role: "developer", tools: [lookup, { type: "web_search" }] }], "input[1].tools[1].type"],
    ] as const) {
      const refused = await raw({ model: "gpt-4o-mini", tools: [lookup], input });
      expect(refused.status).toBe(400);
      const error = (await refused.json()) as { error: { param: string } };
      expectOpenAI("ErrorResponse", error);
      expect(error.error.param).toBe(param);
    }
  });

  test("a custom tool reaches the upstream as a function of one string; the upstream's streamed call of it comes back as custom_tool_call text", async () => {
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason }] });
    const input = 'print("hi")\n# done';
    const args = JSON.stringify({ input });
    const call = (piece: string, first: boolean) => ({ tool_calls: [{ index: 0, ...(first ? { id: "call_up", type: "function", function: { name: "run_python", arguments: piece } } : { function: { arguments: piece } }) }] });
    fake.handle((request) =>
      request.path === "/v1/chat/completions"
        ? sseResponse([chunk({ role: "assistant", content: null }), ...[0, 4, 13, 20].map((at, i, cuts) => chunk(call(args.slice(at, cuts[i + 1] ?? args.length), i === 0))), chunk({}, "tool_calls")])
        : openAIHandler(request),
    );
    try {
      const tool = { type: "custom" as const, name: "run_python", description: "Runs Python", format: { type: "grammar" as const, syntax: "regex" as const, definition: "^[\\s\\S]+$" } };
      const stream = await client.responses.create({
        model: "gpt-4o-mini",
        tools: [tool],
        input: [
          { role: "user", content: "Run it twice" },
          { type: "custom_tool_call", call_id: "call_0", name: "run_python", input: "print(1)" },
          { type: "custom_tool_call_output", call_id: "call_0", output: "1" },
        ],
        stream: true,
      });
      let deltas = "";
      let final: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        expectOpenAI("ResponseStreamEvent", event);
        if (event.type === "response.custom_tool_call_input.delta") deltas += event.delta;
        if (event.type === "response.completed") final = event.response;
      }
      expect(lastChatBody()).toMatchObject({
        tools: [
          {
            type: "function",
            function: {
              name: "run_python",
              description: "Runs Python",
              parameters: { type: "object", properties: { input: { type: "string", description: expect.stringContaining("regular expression:\n^[\\s\\S]+$") } }, required: ["input"] },
            },
          },
        ],
        messages: [
          { role: "user", content: "Run it twice" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_0", type: "function", function: { name: "run_python", arguments: '{"input":"print(1)"}' } }] },
          { role: "tool", tool_call_id: "call_0", content: "1" },
        ],
      });
      expect(deltas).toBe(input);
      expect(final!.output).toEqual([expect.objectContaining({ type: "custom_tool_call", call_id: "call_up", name: "run_python", input, status: "completed" })]);
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("a refusal the upstream streams is a refusal part: the openai SDK's final response holds it, the AI SDK reports content-filter", async () => {
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason }] });
    fake.handle((request) =>
      request.path === "/v1/chat/completions"
        ? sseResponse([chunk({ role: "assistant", content: null, refusal: "" }), chunk({ refusal: "I can't " }), chunk({ refusal: "help with that." }), chunk({}, "stop")])
        : openAIHandler(request),
    );
    try {
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      const stream = client.responses.stream({ model: "gpt-4o-mini", input: "Something forbidden" });
      for await (const event of stream) {
        expectOpenAI("ResponseStreamEvent", event);
        events.push(event);
      }
      const final = await stream.finalResponse();
      expect(final.output).toEqual([expect.objectContaining({ type: "message", content: [expect.objectContaining({ type: "refusal", refusal: "I can't help with that." })] })]);
      expect(events.filter((e) => e.type === "response.refusal.delta").map((e) => (e as { delta: string }).delta)).toEqual(["I can't ", "help with that."]);

      const { createOpenAI } = await import("@ai-sdk/openai");
      const { streamText } = await import("ai");
      const result = streamText({ model: createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x" })("gpt-4o-mini"), prompt: "Something forbidden" });
      expect(await result.text).toBe("I can't help with that.");
      expect(await result.finishReason).toBe("content-filter");
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("an upstream failure after the stream started is response.failed, then the stream closes", async () => {
    fake.handle((request) =>
      request.path === "/v1/chat/completions"
        ? sseResponse([{ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }] }, { error: { message: "overloaded", type: "server_error" } }])
        : openAIHandler(request),
    );
    try {
      const text = await (await fetch(`${gw.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", input: "Hi", stream: true }) })).text();
      const events = text.trim().split("\n\n").map((block) => JSON.parse(block.split("\n")[1]!.slice(6)));
      for (const event of events) expectOpenAI("ResponseStreamEvent", event);
      expect(events.at(-1)).toMatchObject({ type: "response.failed", response: { status: "failed", error: { code: "server_error" } } });
      expect(text).not.toContain("[DONE]");
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("a stream cut midway keeps the text the client was sent: the SDK's final response and the stored one hold it, incomplete", async () => {
    fake.handle((request) =>
      request.path === "/v1/chat/completions"
        ? sseResponse([{ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "Partial " }, finish_reason: null }] }, { id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "answer" }, finish_reason: null }] }], { done: false })
        : openAIHandler(request),
    );
    try {
      const stream = client.responses.stream({ model: "gpt-4o-mini", input: "Hi" });
      for await (const event of stream) expectOpenAI("ResponseStreamEvent", event);
      const final = await stream.finalResponse();
      expect(final.status).toBe("failed");
      expect(final.output_text).toBe("Partial answer");
      expect(final.output).toEqual([expect.objectContaining({ type: "message", status: "incomplete" })]);
      const stored = await client.responses.retrieve(final.id);
      expectOpenAI("Response", stored);
      expect(stored).toMatchObject({ status: "failed", output: [{ type: "message", status: "incomplete", content: [{ type: "output_text", text: "Partial answer" }] }] });
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("reasoning.context: current_turn sends no earlier turn's reasoning again, all_turns (and auto) every one; reasoning.mode other than standard is a 400", async () => {
    const history = [
      { role: "user", content: "First?" },
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Thinking one." }] },
      { role: "assistant", content: [{ type: "output_text", text: "One." }] },
      { role: "user", content: "Second?" },
      { type: "reasoning", id: "rs_2", summary: [{ type: "summary_text", text: "Thinking two." }] },
      { type: "function_call", call_id: "c1", name: "get_weather", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "sunny" },
    ];
    const tools = [{ type: "function", name: "get_weather", parameters: { type: "object", properties: {} } }];
    const thoughts = () => (lastChatBody().messages as { reasoning_content?: string }[]).map((m) => m.reasoning_content).filter(Boolean);
    for (const context of ["all_turns", "auto", undefined] as const) {
      await client.responses.create({ model: "gpt-4o-mini", input: history as never, tools: tools as never, store: false, ...(context ? { reasoning: { context } } : {}) } as never);
      expect(thoughts()).toEqual(["Thinking one.", "Thinking two."]);
    }
    // The current turn starts at the last user message: its own reasoning (before its tool call) stays.
    await client.responses.create({ model: "gpt-4o-mini", input: history as never, tools: tools as never, store: false, reasoning: { context: "current_turn" } } as never);
    expect(thoughts()).toEqual(["Thinking two."]);

    expect(await client.responses.create({ model: "gpt-4o-mini", input: "Hi", reasoning: { context: "everything" } } as never).catch((e) => e)).toMatchObject({ status: 400, param: "reasoning.context" });
    const pro = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", reasoning: { mode: "pro" } } as never).catch((e) => e);
    expect(pro).toMatchObject({ status: 400, param: "reasoning.mode" });
    expectOpenAI("ErrorResponse", pro.error ? { error: pro.error } : pro);
    expect((await client.responses.create({ model: "gpt-4o-mini", input: "Hi", reasoning: { mode: "standard" } } as never)).status).toBe("completed");
  });

  test("OpenAI's value lists hold where its document sets them: reasoning.summary, a read's include query, prompt_cache_options, compact's own limits, input_tokens' truncation, multi_agent", async () => {
    const paramOf = async (call: Promise<unknown>) => ((await call.catch((e) => e)) as { status?: number; param?: string });
    expect(await paramOf(client.responses.create({ model: "gpt-4o-mini", input: "Hi", reasoning: { summary: "long" } } as never))).toMatchObject({ status: 400, param: "reasoning.summary" });
    expect(await paramOf(client.responses.create({ model: "gpt-4o-mini", input: "Hi", prompt_cache_options: { ttl: "forever" } } as never))).toMatchObject({ status: 400, param: "prompt_cache_options.ttl" });
    expect(await paramOf(client.responses.create({ model: "gpt-4o-mini", input: "Hi", multi_agent: { enabled: true } } as never))).toMatchObject({ status: 400, param: "multi_agent" });
    const stored = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", reasoning: { summary: "concise" }, multi_agent: { enabled: false } } as never);
    expectOpenAI("Response", stored);
    expect(stored.reasoning?.summary).toBe("concise");
    for (const path of [`/v1/responses/${stored.id}?include[]=bogus`, `/v1/responses/${stored.id}/input_items?include=bogus`]) {
      const refused = await fetch(`${gw.url}${path}`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("include");
    }
    expect((await fetch(`${gw.url}/v1/responses/${stored.id}?include[]=message.output_text.logprobs`)).status).toBe(200);
    expect(await paramOf(client.responses.compact({ model: "gpt-4o-mini", input: "Hi", prompt_cache_key: "k".repeat(65) } as never))).toMatchObject({ status: 400, param: "prompt_cache_key" });
    expect(await paramOf(client.responses.compact({ model: "gpt-4o-mini", input: "Hi", service_tier: "scale" } as never))).toMatchObject({ status: 400, param: "service_tier" });
    expect(await paramOf(client.responses.inputTokens.count({ model: "gpt-4o-mini", input: "Hi", truncation: "bogus" } as never))).toMatchObject({ status: 400, param: "truncation" });
  });

  test("instructions with an empty user message (what pydantic-ai sends when there is no other input) is answered", async () => {
    const response = await client.responses.create({ model: "gpt-4o-mini", instructions: "Say hello.", input: [{ role: "user", content: "" }] });
    expectOpenAI("Response", response);
    expect(response.status).toBe("completed");
    expect(lastChatBody().messages).toEqual([
      { role: "system", content: "Say hello." },
      { role: "user", content: "" },
    ]);
  });

  test("include message.output_text.logprobs asks the upstream for logprobs (with top_logprobs) and answers them in OpenAI's form; without it there are none", async () => {
    const asked = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", include: ["message.output_text.logprobs"], top_logprobs: 2 });
    expectOpenAI("Response", asked);
    expect(lastChatBody()).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(asked.top_logprobs).toBe(2);
    const text = asked.output[0]!.type === "message" ? asked.output[0].content[0] : undefined;
    // The fixture's (OpenAI's own example): bytes as the upstream gave them.
    expect(text).toMatchObject({ type: "output_text", logprobs: [{ token: "Hello", logprob: -0.31725305, bytes: [72, 101, 108, 108, 111], top_logprobs: [] }] });
    // The upstream's fixture always carries logprobs; OpenAI answers them only when include asks (top_logprobs alone gives none).
    for (const body of [{}, { top_logprobs: 3 }, { include: ["reasoning.encrypted_content" as const] }]) {
      const plain = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", ...body });
      expect(lastChatBody()).not.toHaveProperty("logprobs");
      expect(lastChatBody()).not.toHaveProperty("top_logprobs");
      expect(plain.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", logprobs: [] }] });
    }
    const refused = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", top_logprobs: 21 }).catch((e) => e);
    expect(refused).toMatchObject({ status: 400, param: "top_logprobs" });
    // A background response keeps them too.
    const queued = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", include: ["message.output_text.logprobs"], background: true });
    let done = queued;
    for (let i = 0; i < 200 && (done.status === "queued" || done.status === "in_progress"); i++) {
      await Bun.sleep(10);
      done = await client.responses.retrieve(queued.id);
    }
    expectOpenAI("Response", done);
    expect(done.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", logprobs: [{ token: "Hello", logprob: -0.31725305 }] }] });
  });

  test("streamed, each text delta carries its chunk's logprobs; the done events and the final response hold them all", async () => {
    const token = (t: string, logprob: number, top: { token: string; logprob: number }[] = []) => ({ token: t, logprob, bytes: null, top_logprobs: top });
    const chunk = (delta: Record<string, unknown>, logprobs: unknown, finish_reason: string | null = null) => ({
      id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, logprobs, finish_reason }],
    });
    fake.handle((request) =>
      request.path === "/v1/chat/completions"
        ? sseResponse([
            chunk({ role: "assistant", content: "" }, null),
            chunk({ content: "Bon" }, { content: [token("Bon", -0.1, [{ token: "Hel", logprob: -2.5 }])], refusal: null }),
            chunk({ content: "jour!" }, { content: [token("jour", -0.2), token("!", -0.3)], refusal: null }),
            chunk({}, null, "stop"),
          ])
        : openAIHandler(request),
    );
    try {
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      const stream = client.responses.stream({ model: "gpt-4o-mini", input: "Greet me", include: ["message.output_text.logprobs"], top_logprobs: 1 });
      for await (const event of stream) {
        expectOpenAI("ResponseStreamEvent", event);
        events.push(event);
      }
      expect(lastChatBody()).toMatchObject({ stream: true, logprobs: true, top_logprobs: 1 });
      const all = [
        { token: "Bon", logprob: -0.1, bytes: [66, 111, 110], top_logprobs: [{ token: "Hel", logprob: -2.5, bytes: [72, 101, 108] }] },
        { token: "jour", logprob: -0.2, bytes: [106, 111, 117, 114], top_logprobs: [] },
        { token: "!", logprob: -0.3, bytes: [33], top_logprobs: [] },
      ];
      const deltas = events.filter((e) => e.type === "response.output_text.delta") as OpenAI.Responses.ResponseTextDeltaEvent[];
      expect(deltas.map((e) => [e.delta, e.logprobs])).toEqual([["Bon", all.slice(0, 1)], ["jour!", all.slice(1)]]);
      expect(events.find((e) => e.type === "response.output_text.done")).toMatchObject({ text: "Bonjour!", logprobs: all });
      expect(events.find((e) => e.type === "response.content_part.done")).toMatchObject({ part: { type: "output_text", logprobs: all } });
      const final = await stream.finalResponse();
      expect(final.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "Bonjour!", logprobs: all }] });
      expect(final.top_logprobs).toBe(1);
      // Stored as answered.
      const stored = await client.responses.retrieve(final.id);
      expect(stored.output[0]).toMatchObject({ content: [{ logprobs: all }] });
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("a continuation sends the previous input and output before the new input, and only the new instructions", async () => {
    const first = await client.responses.create({ model: "gpt-4o-mini", instructions: "Answer in French.", input: "Hi" });
    const second = await client.responses.create({ model: "gpt-4o-mini", previous_response_id: first.id, instructions: "Be brief.", input: "And?" });
    expectOpenAI("Response", second);
    expect(second.instructions).toBe("Be brief.");
    // As in OpenAI's API: the previous response's instructions do not carry over.
    expect(lastChatBody().messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: first.output_text },
      { role: "user", content: "And?" },
    ]);
    await client.responses.create({ model: "gpt-4o-mini", previous_response_id: second.id, input: "Thanks" });
    const third = lastChatBody().messages as { role: string }[];
    expect(third.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
  });
});

describe("through the Ollama plugin: thinking", () => {
  let e2e: OllamaE2E;
  beforeAll(async () => {
    e2e = await startOllamaE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  test("Ollama's thinking is a reasoning item, streamed as summary events; reasoning.effort becomes think; it goes back as thinking", async () => {
    e2e.fake.handle(
      defaultRoutes({
        "POST /api/chat": (request) =>
          (request.body as { stream?: boolean }).stream === false
            ? Response.json({ ...doneLine({}, "gpt-oss:20b"), message: { role: "assistant", content: "6" } })
            : ndjsonResponse([chatLine({ thinking: "Hmm, " }, "gpt-oss:20b"), chatLine({ thinking: "easy." }, "gpt-oss:20b"), chatLine({ content: "4" }, "gpt-oss:20b"), doneLine({}, "gpt-oss:20b")]),
      }),
    );
    const stream = await e2e.client.responses.create({ model: "gpt-oss:20b", input: "2+2?", reasoning: { effort: "high" }, stream: true });
    const types: string[] = [];
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      types.push(event.type);
      if (event.type === "response.completed") final = event.response;
    }
    expect(types).toContain("response.reasoning_summary_text.delta");
    expect(final!.output[0]).toMatchObject({ type: "reasoning", summary: [{ type: "summary_text", text: "Hmm, easy." }] });
    expect(final!.output[1]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "4" }] });
    expect(e2e.chatBodies().at(-1)).toMatchObject({ think: "high" });

    // The stored reasoning goes back to Ollama as the assistant turn's thinking.
    await e2e.client.responses.create({ model: "gpt-oss:20b", previous_response_id: final!.id, input: "And 3+3?" });
    const messages = e2e.chatBodies().at(-1)!.messages as Record<string, unknown>[];
    expect(messages.slice(0, 3)).toEqual([
      expect.objectContaining({ role: "user", content: "2+2?" }),
      expect.objectContaining({ role: "assistant", content: "4", thinking: "Hmm, easy." }),
      expect.objectContaining({ role: "user", content: "And 3+3?" }),
    ]);
  });

  test("include message.output_text.logprobs reaches Ollama as logprobs; its tokens are the output text's logprobs", async () => {
    e2e.fake.handle(
      defaultRoutes({
        "POST /api/chat": () => Response.json({ ...doneLine({}), message: { role: "assistant", content: "Oui" }, logprobs: [{ token: "Oui", logprob: -0.4, top_logprobs: [{ token: "Non", logprob: -1.2 }] }] }),
      }),
    );
    const response = await e2e.client.responses.create({ model: "llama3.2:latest", input: "Yes?", include: ["message.output_text.logprobs"], top_logprobs: 1 });
    expectOpenAI("Response", response);
    expect(e2e.chatBodies().at(-1)).toMatchObject({ logprobs: true, top_logprobs: 1 });
    expect(response.output[0]).toMatchObject({
      type: "message",
      content: [{ type: "output_text", text: "Oui", logprobs: [{ token: "Oui", logprob: -0.4, bytes: [79, 117, 105], top_logprobs: [{ token: "Non", logprob: -1.2, bytes: [78, 111, 110] }] }] }],
    });
  });

  test("an image the provider cannot take is a 400 naming input[j]…, counted in the client's input (not the chat messages)", async () => {
    e2e.reset();
    const bad = { role: "user" as const, content: [{ type: "input_text" as const, text: "What is it?" }, { type: "input_image" as const, image_url: "data:text/plain,hi", detail: "auto" as const }] };
    const expectImageError = async (request: OpenAI.Responses.ResponseCreateParamsNonStreaming, param: string) => {
      const error = await e2e.client.responses.create(request).catch((e) => e);
      expect(error).toMatchObject({ status: 400, param });
      expect(error.message).toContain(`'${param}'`);
      expect(error.message).not.toContain("messages[");
    };
    // instructions become a first system message: the image is messages[3], but input[2].
    await expectImageError({ model: "llama3.2:latest", instructions: "Be brief.", input: [{ role: "user", content: "a" }, { role: "user", content: "b" }, bad] }, "input[2].content[1].image_url");
    // After a stored conversation (its input and output come first), and with a referenced item.
    const first = await e2e.client.responses.create({ model: "llama3.2:latest", input: "Hello" });
    await expectImageError({ model: "llama3.2:latest", previous_response_id: first.id, input: [bad] }, "input[0].content[1].image_url");
    await expectImageError({ model: "llama3.2:latest", previous_response_id: first.id, input: [{ type: "item_reference", id: first.output[0]!.id as string }, bad] }, "input[1].content[1].image_url");
    // An image in a function output (sent to the model in a user message after the tool messages): its part in the output.
    const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const calls: OpenAI.Responses.ResponseInputItem[] = [
      { role: "user", content: "Look." },
      { type: "function_call", call_id: "call_a", name: "shot", arguments: "{}" },
      { type: "function_call", call_id: "call_b", name: "shot", arguments: "{}" },
    ];
    const output = (call_id: string, parts: OpenAI.Responses.ResponseFunctionCallOutputItemList): OpenAI.Responses.ResponseInputItem => ({ type: "function_call_output", call_id, output: parts });
    const image = (image_url: string) => ({ type: "input_image" as const, image_url, detail: "auto" as const });
    await expectImageError(
      { model: "llama3.2:latest", input: [...calls, output("call_a", [image(png)]), output("call_b", [{ type: "input_text", text: "b:" }, image(png), image("data:text/plain,hi")])] },
      "input[4].output[2].image_url",
    );
    expect(e2e.chatBodies()).toHaveLength(1); // none of the bad requests reached Ollama
  });

  test("a text file reaches Ollama as text after its name; a PDF, which Ollama cannot read, is a 400 naming the input_file's file_data", async () => {
    e2e.reset();
    const csv = Buffer.from("city,temp\nOslo,-3").toString("base64");
    await e2e.client.responses.create({
      model: "llama3.2:latest",
      input: [{ role: "user", content: [{ type: "input_text", text: "Coldest?" }, { type: "input_file", file_data: `data:text/csv;base64,${csv}`, filename: "t.csv" }] }],
    });
    expect((e2e.chatBodies().at(-1) as { messages: unknown[] }).messages.at(-1)).toMatchObject({ role: "user", content: "Coldest?\nt.csv:\ncity,temp\nOslo,-3" });
    const error = await e2e.client.responses
      .create({ model: "llama3.2:latest", input: [{ role: "user", content: [{ type: "input_text", text: "Sum up." }, { type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" }] }] })
      .catch((e) => e);
    expect(error).toMatchObject({ status: 400, param: "input[0].content[1].file_data" });
    expect(e2e.chatBodies()).toHaveLength(1);
  });

  test("a tool's file output: a text file reaches Ollama after the tool messages; a PDF is a 400 naming the output's part", async () => {
    e2e.reset();
    const input = (output: OpenAI.Responses.ResponseFunctionCallOutputItemList): OpenAI.Responses.ResponseInputItem[] => [
      { role: "user", content: "Read the report." },
      { type: "function_call", call_id: "call_r", name: "fetch_report", arguments: "{}" },
      { type: "function_call_output", call_id: "call_r", output },
    ];
    const notes = Buffer.from("Revenue: 12").toString("base64");
    await e2e.client.responses.create({ model: "llama3.2:latest", input: input([{ type: "input_file", file_data: `data:text/plain;base64,${notes}`, filename: "r.txt" }]) });
    expect((e2e.chatBodies().at(-1) as { messages: unknown[] }).messages.slice(-2)).toMatchObject([
      { role: "tool", content: '[the output is the files in the user message labelled "files returned by tool call call_r"]' },
      { role: "user", content: "[files returned by tool call call_r]\nr.txt:\nRevenue: 12" },
    ]);
    const error = await e2e.client.responses.create({ model: "llama3.2:latest", input: input([{ type: "input_text", text: "PDF:" }, { type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=", filename: "r.pdf" }]) }).catch((e) => e);
    expect(error).toMatchObject({ status: 400, param: "input[2].output[1].file_data" });
  });

  test("in background mode the same refusal fails the response with invalid_prompt, in the client's terms", async () => {
    e2e.reset();
    const created = await e2e.client.responses.create({
      model: "llama3.2:latest",
      background: true,
      input: [{ role: "user", content: [{ type: "input_text", text: "Sum up." }, { type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" }] }],
    });
    let response = created;
    for (let i = 0; i < 100 && (response.status === "queued" || response.status === "in_progress"); i++) {
      await Bun.sleep(20);
      response = await e2e.client.responses.retrieve(created.id);
    }
    expectOpenAI("Response", response);
    expect(response.status).toBe("failed");
    expect(response.error?.code).toBe("invalid_prompt");
    expect(response.error?.message).toContain("'input[0].content[1].file_data'");
    expect(response.error?.message).not.toContain("messages[");
  });

  test("a function call's arguments the provider cannot read are a 400 naming that function_call item's arguments, not the assistant turn it joined", async () => {
    e2e.reset();
    // The assistant text and both calls become one chat message (messages[1]); the bad call is its tool_calls[1].
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: "user", content: "Weather in Paris and Rome?" },
      { type: "message", role: "assistant", content: "Checking both." } as OpenAI.Responses.ResponseInputItem,
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":' },
      { type: "function_call_output", call_id: "call_1", output: "18C" },
      { type: "function_call_output", call_id: "call_2", output: "21C" },
    ];
    for (const stream of [false, true]) {
      const error = await e2e.client.responses.create({ model: "llama3.2:latest", input, stream }).catch((e) => e);
      expect(error).toMatchObject({ status: 400, param: "input[3].arguments" });
      expect(error.message).toContain("'input[3].arguments'");
      expect(error.message).not.toContain("messages[");
    }
    expect(e2e.chatBodies()).toHaveLength(0);
  });

  test("a plugin's refusal of reasoning_effort names reasoning.effort", async () => {
    e2e.reset();
    const error = await e2e.client.responses.create({ model: "gpt-oss:20b", input: "x", reasoning: { effort: "bogus" as never } }).catch((e) => e);
    expect(error).toMatchObject({ status: 400, param: "reasoning.effort" });
  });
});

describe("a stored item named by id, refused by another provider", () => {
  let openai: FakeServer;
  let ollamaUpstream: FakeServer;
  let gw: TestGateway;
  let client: OpenAI;
  beforeAll(async () => {
    // An OpenAI-compatible model whose answer was cut mid-call: its arguments are not JSON.
    const cutCall = {
      id: "chatcmpl-cut",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [{ id: "call_cut", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] }, finish_reason: "length" }],
      usage: { prompt_tokens: 5, completion_tokens: 16, total_tokens: 21 },
    };
    openai = startFakeServer((request) => (request.path === "/v1/chat/completions" ? Response.json(cutCall) : openAIHandler(request)));
    ollamaUpstream = startFakeServer(defaultRoutes());
    const ollama = (await import("../plugins/ollama/index.ts")).default;
    gw = await startTestGateway({ OPENAI_BASE_URL: `${openai.url}/v1`, OPENAI_API_KEY: "sk-upstream", OLLAMA_BASE_URL: ollamaUpstream.url }, [dummy, openaiCompatible, ollama]);
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await openai?.close();
    await ollamaUpstream?.close();
  });

  test("an item_reference to a stored call the provider cannot read is a 400 naming the reference itself (it has no arguments)", async () => {
    const first = await client.responses.create({ model: "gpt-4o-mini", input: "Weather in Paris?", tools: [{ type: "function", name: "get_weather", parameters: null, strict: null }] });
    const call = first.output.find((item) => item.type === "function_call")!;
    expect(call).toMatchObject({ arguments: '{"city":' });
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: "user", content: "Weather in Paris?" },
      { type: "item_reference", id: call.id! },
      { type: "function_call_output", call_id: "call_cut", output: "18C" },
    ];
    const error = await client.responses.create({ model: "llama3.2:latest", input }).catch((e) => e);
    expect(error).toMatchObject({ status: 400, param: "input[1]" });
    expect(error.message).toContain("'input[1]'");
    expect(ollamaUpstream.requests.filter((r) => r.path === "/api/chat")).toHaveLength(0);
  });
});

describe("through the Gemini plugin: input_tokens is the provider's own count", () => {
  let g: GeminiGateway;
  beforeAll(async () => {
    g = await startGeminiGateway();
  });
  afterAll(() => g.close());

  test("Gemini's countTokens receives the instructions, the input and the tools; its total is the answer", async () => {
    g.upstream.answer((r) => (r.path.endsWith(":countTokens") ? geminiJson({ totalTokens: 4321 }) : undefined));
    const counted = await g.client.responses.inputTokens.count({
      model: "gemini-2.5-flash",
      instructions: "Be brief.",
      input: [{ role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }] }],
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }],
    });
    expectOpenAI("TokenCountsResource", counted);
    expect(counted.input_tokens).toBe(4321);
    const body = g.upstream.calls("gemini-2.5-flash:countTokens")[0]!.body as any;
    expect(body.generateContentRequest.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    expect(body.generateContentRequest.contents).toEqual([{ role: "user", parts: [{ text: "Weather in Paris?" }] }]);
    expect(body.generateContentRequest.tools[0].functionDeclarations[0].name).toBe("get_weather");
    expect(g.upstream.calls(":generateContent")).toHaveLength(0);
  });
});

describe("through the Gemini plugin: a reasoning summary asked for alone", () => {
  let g: GeminiGateway;
  beforeAll(async () => {
    g = await startGeminiGateway();
  });
  afterAll(() => g.close());

  const answer = {
    candidates: [{ content: { role: "model", parts: [{ text: "Paris is sunny, so…", thought: true }, { text: "Sunny." }] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, thoughtsTokenCount: 4, totalTokenCount: 11 },
  };

  test("Gemini is asked for its thoughts (its own budget), and they come back as the reasoning item's summary", async () => {
    g.upstream.answer((r) => (r.path.endsWith(":generateContent") ? geminiJson(answer) : undefined));
    const response = await g.client.responses.create({ model: "gemini-2.5-flash", input: "Weather in Paris?", reasoning: { summary: "auto" } });
    expectOpenAI("Response", response);
    const body = g.upstream.calls("gemini-2.5-flash:generateContent").at(-1)!.body as any;
    expect(body.generationConfig.thinkingConfig).toEqual({ includeThoughts: true });
    expect(response.output[0]).toMatchObject({ type: "reasoning", summary: [{ type: "summary_text", text: "Paris is sunny, so…" }] });
    expect(response.output_text).toBe("Sunny.");
  });

  test("without a summary (and without an effort) no thinking setting goes up", async () => {
    g.upstream.answer((r) => (r.path.endsWith(":generateContent") ? geminiJson(answer) : undefined));
    await g.client.responses.create({ model: "gemini-2.5-flash", input: "Weather in Paris?" });
    await g.client.responses.create({ model: "gemini-2.5-flash", input: "Weather in Paris?", reasoning: { summary: null } });
    for (const call of g.upstream.calls("gemini-2.5-flash:generateContent").slice(-2)) {
      expect((call.body as any).generationConfig?.thinkingConfig).toBeUndefined();
    }
  });
});
