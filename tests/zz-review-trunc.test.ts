import { afterAll, beforeAll, expect, test } from "bun:test";
import { definePlugin, type ChatRequest, type ChatResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway, jsonPost } from "./helpers/gateway.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";

const received: { model: string; req: ChatRequest }[] = [];
const answer = (model: string, request: ChatRequest): ChatResult => {
  received.push({ model, req: request });
  return { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `ok ${request.messages.length}` } }] };
};
const p = definePlugin({
  name: "sm",
  models: [{ id: "w300", context_length: 300 }, { id: "w1000", context_length: 1000 }, { id: "w5000", context_length: 5000 }],
  chat: async (request, ctx) => answer((ctx as any).upstreamId ?? request.model, request),
  async *chatStream(request) { const r = answer(request.model, request); yield { choices: [{ index: 0, delta: { content: r.choices[0]!.message.content as string }, finish_reason: "stop" }] }; },
});
let gw: TestGateway;
beforeAll(async () => {
  const config = writeConfigFile({ routes: [
    { model: "r-small-first", targets: [{ model: "w300" }], fallbacks: ["w5000"] },
    { model: "r-fail-then-small", targets: [{ model: "w5000" }], fallbacks: ["w300"] },
  ] });
  gw = await startTestGateway({ OLLAIX_CONFIG: config }, [p]);
});
afterAll(() => gw?.close());
const W = (n: number, w = "apple") => Array.from({ length: n }, () => w).join(" ");
const post = async (body: unknown) => { const r = await gw.handle("/v1/responses", jsonPost(body)); return { status: r.status, body: await r.json() as any }; };
const show = (label: string, r: any) => { const last = received.at(-1); console.log(`\n### ${label}: status=${r.status} ${r.status!==200?JSON.stringify(r.body.error):""}`); if (r.status===200 && last) console.log(JSON.stringify(last.req.messages.map((m:any)=>({role:m.role, tc:m.tool_calls?.map((c:any)=>c.id), id:m.tool_call_id, c: typeof m.content==="string"?m.content.slice(0,40):m.content && JSON.stringify(m.content).slice(0,80)})))); };

test("parallel tool calls", async () => {
  const input = [
    { role: "user", content: W(200) },
    { type: "function_call", call_id: "a1", name: "f", arguments: "{}" },
    { type: "function_call", call_id: "a2", name: "f", arguments: "{}" },
    { type: "function_call", call_id: "a3", name: "f", arguments: "{}" },
    { type: "function_call_output", call_id: "a1", output: W(60, "one") },
    { type: "function_call_output", call_id: "a2", output: W(60, "two") },
    { type: "function_call_output", call_id: "a3", output: W(60, "three") },
    { role: "assistant", content: "done" },
    { role: "user", content: "next?" },
  ];
  for (const ctx of [300, 1000]) { received.length = 0; show(`parallel ctx=${ctx}`, await post({ model: `w${ctx}`, input, truncation: "auto" })); }
  // images in outputs
  const img = "data:image/png;base64,iVBORw0KGgo=";
  const input2 = [
    { role: "user", content: W(50) },
    { type: "function_call", call_id: "b1", name: "f", arguments: "{}" },
    { type: "function_call", call_id: "b2", name: "f", arguments: "{}" },
    { type: "function_call_output", call_id: "b1", output: [{ type: "input_image", image_url: img }] },
    { type: "function_call_output", call_id: "b2", output: [{ type: "input_text", text: "x" }, { type: "input_image", image_url: img }] },
    { role: "user", content: "what do you see" },
  ];
  for (const ctx of [1000, 5000]) { received.length = 0; show(`images ctx=${ctx}`, await post({ model: `w${ctx}`, input: input2, truncation: "auto" })); }
  // interleaved: call, user message, output
  const input3 = [
    { role: "user", content: W(250) },
    { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
    { role: "user", content: "hurry" },
    { type: "function_call_output", call_id: "c1", output: "res" },
  ];
  received.length = 0; show("call,user,output ctx=300", await post({ model: "w300", input: input3, truncation: "auto" }));
  // instructions alone too large
  received.length = 0; show("instructions huge", await post({ model: "w300", instructions: W(400), input: "hi", truncation: "auto" }));
  received.length = 0; show("instructions huge stream", await post({ model: "w300", instructions: W(400), input: "hi", truncation: "auto", stream: true }).catch(e=>({status:-1, body:{error:String(e)}})));
  // max_output_tokens close
  for (const m of [250, 295, 300, 301]) { received.length = 0; show(`max_output ${m}`, await post({ model: "w300", input: [{role:"user",content:W(100)},{role:"assistant",content:"x"},{role:"user",content:"hi"}], truncation: "auto", max_output_tokens: m })); }
  // routes
  const big = [{ role: "user", content: W(600) }, { role: "assistant", content: "ok" }, { role: "user", content: "and?" }];
  received.length = 0; show("route small-first (fits big), small can't", await post({ model: "r-small-first", instructions: W(350), input: big, truncation: "auto" }));
  received.length = 0; show("route small-first, small truncates", await post({ model: "r-small-first", input: big, truncation: "auto" }));
});
