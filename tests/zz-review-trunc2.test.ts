import { afterAll, beforeAll, test } from "bun:test";
import { definePlugin, type ChatRequest, type ChatResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway, jsonPost } from "./helpers/gateway.ts";

const received: ChatRequest[] = [];
let toolTurn = false;
const answer = (request: ChatRequest): ChatResult => {
  received.push(request);
  if (toolTurn) return { choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [
    { id: "p1", type: "function", function: { name: "f", arguments: "{}" } }, { id: "p2", type: "function", function: { name: "f", arguments: "{}" } }] } }] };
  return { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: Array.from({length: 100}, () => "pear").join(" ") } }] };
};
const p = definePlugin({ name: "sm", models: [{ id: "w400", context_length: 400 }, { id: "big" }], chat: async (r) => answer(r),
  async *chatStream(r) { yield { choices: [{ index: 0, delta: { content: "x" }, finish_reason: "stop" }] }; } });
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway({}, [p]); });
afterAll(() => gw?.close());
const W = (n: number, w = "apple") => Array.from({ length: n }, () => w).join(" ");
const post = async (body: unknown) => { const r = await gw.handle("/v1/responses", jsonPost(body)); return { status: r.status, body: await r.json() as any }; };
const show = (label: string, r: any) => { console.log(`\n### ${label}: status=${r.status} ${r.status!==200?JSON.stringify(r.body.error):""}`); if (r.status===200) console.log(JSON.stringify(received.at(-1)!.messages.map((m:any)=>({role:m.role, tc:m.tool_calls?.map((c:any)=>c.id), id:m.tool_call_id, c: typeof m.content==="string"?m.content.slice(0,30):m.content})))); };

test("prev id", async () => {
  const r1 = await post({ model: "big", input: W(150), instructions: "sys" }); show("r1", r1);
  toolTurn = true;
  const r2 = await post({ model: "big", input: "call tools", previous_response_id: r1.body.id }); show("r2", r2);
  toolTurn = false;
  const r3 = await post({ model: "w400", input: [{ type: "function_call_output", call_id: "p1", output: W(40, "one") }, { type: "function_call_output", call_id: "p2", output: W(40, "two") }], previous_response_id: r2.body.id, truncation: "auto", instructions: "sys2" });
  show("r3 w400 auto", r3);
  const items = await (await gw.handle(`/v1/responses/${r3.body.id}/input_items?limit=100`)).json() as any; console.log("stored input items:", items.data?.length);
  const r4 = await post({ model: "w400", input: "and now?", previous_response_id: r3.body.id, truncation: "auto" }); show("r4 w400 auto", r4);
  const r5 = await post({ model: "w400", input: W(50), previous_response_id: r3.body.id, truncation: "auto" }); show("r5 w400 auto", r5);
  // call, user, output interleaved
  const r6 = await post({ model: "w400", truncation: "auto", input: [
    { role: "user", content: W(420) },
    { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
    { role: "user", content: "hurry" },
    { type: "function_call_output", call_id: "c1", output: "res" }] }); show("call,user,output", r6);
  const r7 = await post({ model: "w400", truncation: "auto", input: [
    { role: "developer", content: "dev" },
    { role: "user", content: W(420) },
    { role: "developer", content: "mid-dev" },
    { role: "user", content: "q" }] }); show("mid developer", r7);
});
