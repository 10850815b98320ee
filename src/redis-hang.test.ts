import { expect, test } from "bun:test";
import { RedisHang } from "./redis-hang.ts";

test("hanging from a command left unanswered until a probe's PING (at once, then every 500 ms, one at a time) or any command is answered", async () => {
  let answers = false;
  let pings = 0;
  const hang = new RedisHang(async () => {
    pings++;
    if (!answers) throw new Error("did not answer");
    return "PONG";
  });
  try {
    expect(hang.isHanging).toBe(false);
    hang.unanswered();
    hang.unanswered(); // one probe however many connections noticed
    expect(hang.isHanging).toBe(true);
    await Bun.sleep(1_100);
    expect(pings).toBe(3);
    expect(hang.isHanging).toBe(true);
    answers = true;
    for (let i = 0; i < 20 && hang.isHanging; i++) await Bun.sleep(50);
    expect(hang.isHanging).toBe(false);
    const after = pings;
    await Bun.sleep(600);
    expect(pings).toBe(after); // no probe once over
    // A Redis that answers the rest: over at the first PING, at once.
    hang.unanswered();
    for (let i = 0; i < 10 && hang.isHanging; i++) await Bun.sleep(1);
    expect(hang.isHanging).toBe(false);
    answers = false;
    hang.unanswered();
    hang.answered(); // a command answered on another connection
    expect(hang.isHanging).toBe(false);
  } finally {
    hang.close();
  }
});
