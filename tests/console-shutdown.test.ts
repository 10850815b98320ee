import { expect, test } from "bun:test";
import { startTestGateway } from "./helpers/gateway.ts";

test("an open console page's event stream does not hold up a graceful shutdown", async () => {
  const gw = await startTestGateway({ SHUTDOWN_GRACE_MS: "3000", LOG_LEVEL: "info" });
  const events = await fetch(`${gw.url}/console/api/events`);
  expect(events.status).toBe(200);
  const reader = events.body!.getReader();
  await reader.read(); // the snapshot: the stream is open
  await gw.close();
  // The stream was ended by the gateway (not cut by the grace period running out).
  for (;;) if ((await reader.read()).done) break;
  expect(gw.logs.some((l) => l.includes("shutdown grace elapsed"))).toBe(false);
});
