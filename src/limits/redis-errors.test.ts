import { describe, expect, test } from "bun:test";
import { isUnreachable } from "./redis-errors.ts";

const reply = (message: string) => Object.assign(new Error(message), { code: "ERR_REDIS_SERVER_ERROR" });

describe("isUnreachable", () => {
  test.each([
    // A reply error is that command's: a bad argument (a probe: an upstream's 1e19 tokens), a script's error, a key of another type, an ACL's refusal.
    ["ERR value is not an integer or out of range script: 0123abcd, on @user_script:2.", false],
    ["WRONGTYPE Operation against a key holding the wrong kind of value", false],
    ["NOPERM User limits has no permissions to run the 'time' command", false],
    ["ERR user_script:9: attempt to compare nil with number script: 0123abcd, on @user_script:9.", false],
    // Replies by which Redis serves nothing now: every key's command fails too.
    ["LOADING Redis is loading the dataset in memory", true],
    ["BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", true],
    ["READONLY You can't write against a read only replica.", true],
    ["MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", true],
    ["CLUSTERDOWN The cluster is down", true],
    ["MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", true],
    ["OOM command not allowed when used memory > 'maxmemory'.", true],
  ])("a reply %p: %p", (message, unreachable) => {
    expect(isUnreachable(reply(message))).toBe(unreachable);
  });

  test("no connection, or no answer in time, is Redis away", () => {
    expect(isUnreachable(Object.assign(new Error("Connection closed"), { code: "ERR_REDIS_CONNECTION_CLOSED" }))).toBe(true);
    expect(isUnreachable(Object.assign(new Error("no answer within 300 ms"), { code: "ETIMEDOUT" }))).toBe(true);
    expect(isUnreachable(new Error("cannot connect to Redis"))).toBe(true);
    expect(isUnreachable(undefined)).toBe(true);
  });
});
