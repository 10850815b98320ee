/**
 * Process entry: the bare Bun JSON proxy, the practical limit for any gateway on Bun.
 * `req.json()` → `fetch` upstream → the upstream body passed back (streams piped through).
 * Paths under /api/ go to UPSTREAM_OLLAMA, everything else to UPSTREAM_OPENAI (path kept).
 * Prints `{"url":…}` when listening.
 */
import { exitWithParent } from "./spawn.ts";

const openai = process.env.UPSTREAM_OPENAI!;
const ollama = process.env.UPSTREAM_OLLAMA!;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 0,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    const body = await req.json();
    const upstream = await fetch((path.startsWith("/api/") ? ollama : openai) + path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench-key" },
      body: JSON.stringify(body),
      signal: req.signal,
    });
    return new Response(upstream.body, {
      status: upstream.status,
      headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
    });
  },
});

exitWithParent();
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
