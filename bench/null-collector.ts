/**
 * Process entry: an OTLP/HTTP trace collector that accepts and drops every export (200, empty
 * protobuf answer), for the "tracing on" rows. Prints `{"url":…}` when listening.
 */
import { exitWithParent } from "./spawn.ts";

let spans = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    if (req.method === "GET") return Response.json({ exports: spans });
    spans++;
    await req.arrayBuffer();
    return new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } });
  },
});

exitWithParent();
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
