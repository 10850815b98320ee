import { describe, expect, test } from "bun:test";
import { ConfigProblems } from "./config-problems.ts";
import { ConfigError } from "./env.ts";

const thrown = (problems: ConfigProblems): ConfigError => {
  try {
    problems.throwIfAny();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
};

describe("ConfigProblems", () => {
  test("nothing gathered: nothing thrown", () => {
    expect(() => new ConfigProblems("x.yaml").throwIfAny()).not.toThrow();
  });

  test("the other problems first, then the file's under one prefix; each once", () => {
    const problems = new ConfigProblems("x.yaml");
    problems.inFile(["keys[0].rpm: bad"]);
    problems.outsideFile(["PORT: bad", "PORT: bad"]);
    problems.inFile(["routes[0]: bad"]);
    const error = thrown(problems);
    expect(error.message).toBe('PORT: bad; OLLAIX_CONFIG="x.yaml": keys[0].rpm: bad; routes[0]: bad');
    expect(error.problems).toEqual(["PORT: bad", "keys[0].rpm: bad", "routes[0]: bad"]);
  });

  test("a plugin's problem is the file's when it names the plugin's own section, not a longer name", () => {
    const problems = new ConfigProblems("x.yaml");
    problems.ofPlugin("acme", new ConfigError("…", { problems: ["plugins.acme.url: bad", "plugins.acme: bad", "plugins.acme[0]: bad", "plugins.acme-pro.url: bad", "ACME_KEY: bad"] }));
    // A copy of the class without `problems` (a plugin bundled with its own kit): its message, whole.
    problems.ofPlugin("acme", Object.assign(new Error("plugins.acme.depth: bad"), { name: "ConfigError" }));
    expect(thrown(problems).message).toBe(
      'plugins.acme-pro.url: bad; ACME_KEY: bad; OLLAIX_CONFIG="x.yaml": plugins.acme.url: bad; plugins.acme: bad; plugins.acme[0]: bad; plugins.acme.depth: bad',
    );
  });
});
