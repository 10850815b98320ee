import { describe, expect, test } from "bun:test";
import { FeatureRefusals, type RefusableFeature } from "./feature-refusals.ts";
import type { Logger } from "./logger.ts";

type Body = { a?: boolean; b?: boolean; text: string };
class Refused extends Error {}

const feature = (name: "a" | "b"): RefusableFeature<Body> => ({
  note: `no ${name}`,
  asks: (body) => body[name] === true,
  isRefusal: (error) => error instanceof Refused && error.message === name,
  without: ({ [name]: _dropped, ...rest }) => rest,
});

const recordingLogger = () => {
  const lines: string[] = [];
  const log = (msg: string, fields?: object) => void lines.push(`${msg} ${JSON.stringify(fields)}`);
  const it: Logger = { debug: log, info: log, warn: log, error: log, child: () => it, isEnabled: () => true };
  return { it, lines };
};

/** A provider whose models refuse the features listed for them, recording every body. */
const provider = (refuses: Record<string, ("a" | "b")[]>) => {
  const sent: { model: string; body: Body }[] = [];
  const send = (model: string) => async (body: Body) => {
    sent.push({ model, body });
    const refused = (refuses[model] ?? []).find((name) => body[name]);
    if (refused) throw new Refused(refused);
    return `answer to ${body.text}`;
  };
  return { sent, send };
};

describe("FeatureRefusals", () => {
  test("a refused feature is dropped and the body sent again; the model is not asked for it again, and noted once", async () => {
    const refusals = new FeatureRefusals([feature("a"), feature("b")]);
    const { it, lines } = recordingLogger();
    const { sent, send } = provider({ m1: ["a"] });
    expect(await refusals.send("m1", { a: true, b: true, text: "x" }, it, send("m1"))).toBe("answer to x");
    expect(await refusals.send("m1", { a: true, text: "y" }, it, send("m1"))).toBe("answer to y");
    expect(sent.map((s) => s.body)).toEqual([{ a: true, b: true, text: "x" }, { b: true, text: "x" }, { text: "y" }]);
    expect(lines).toEqual(['no a {"model":"m1"}']);
    // Another model still gets the feature.
    await refusals.send("m2", { a: true, text: "z" }, it, send("m2"));
    expect(sent.at(-1)).toEqual({ model: "m2", body: { a: true, text: "z" } });
  });

  test("two refused features in one body: each is dropped in turn", async () => {
    const refusals = new FeatureRefusals([feature("a"), feature("b")]);
    const { it, lines } = recordingLogger();
    const { sent, send } = provider({ m: ["b", "a"] });
    expect(await refusals.send("m", { a: true, b: true, text: "x" }, it, send("m"))).toBe("answer to x");
    expect(sent.map((s) => s.body)).toEqual([{ a: true, b: true, text: "x" }, { a: true, text: "x" }, { text: "x" }]);
    expect(lines).toHaveLength(2);
  });

  test("other failures, and a refusal of a feature the body did not ask for, are thrown as they are", async () => {
    const refusals = new FeatureRefusals([feature("a")]);
    const { it, lines } = recordingLogger();
    const other = new Error("upstream down");
    await expect(refusals.send("m", { a: true, text: "x" }, it, async () => Promise.reject(other))).rejects.toBe(other);
    const refusedA = new Refused("a");
    await expect(refusals.send("m", { text: "x" }, it, async () => Promise.reject(refusedA))).rejects.toBe(refusedA);
    expect(lines).toEqual([]);
  });

  test("a provider that refuses again after the feature is dropped gets no endless retries", async () => {
    const refusals = new FeatureRefusals([feature("a")]);
    const { it } = recordingLogger();
    let calls = 0;
    const refused = new Refused("a");
    // A feature whose `without` keeps asking (a faulty definition) must still end.
    const stubborn = new FeatureRefusals([{ ...feature("a"), without: (body: Body) => body }]);
    await expect(stubborn.send("m", { a: true, text: "x" }, it, async () => (calls++, Promise.reject(refused)))).rejects.toBe(refused);
    expect(calls).toBe(2);
    expect(refusals.asksAny({ text: "x" })).toBe(false);
    expect(refusals.asksAny({ a: true, text: "x" })).toBe(true);
  });
});
