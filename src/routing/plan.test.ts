import { describe, expect, test } from "bun:test";
import { planRoute, weightedOrder } from "./plan.ts";
import type { Route } from "./route-table.ts";

const route: Route = {
  model: "smart",
  targets: [{ model: "a/x", weight: 2 }, { model: "b/y", weight: 1 }],
  fallbacks: ["c/z"],
  retries: 1,
  list: true,
};
const never = () => false;

describe("weightedOrder", () => {
  test.each([
    [0, ["a/x", "b/y"]],
    [0.66, ["a/x", "b/y"]],
    [0.67, ["b/y", "a/x"]],
    [0.99, ["b/y", "a/x"]],
  ])("random %p → %p", (r, order) => {
    expect(weightedOrder(route.targets, () => r)).toEqual(order);
  });
});

describe("planRoute", () => {
  test("healthy targets by weight, then the fallbacks in order", () => {
    expect(planRoute(route, never, () => 0)).toEqual({ deployments: ["a/x", "b/y", "c/z"], retries: 1, routed: true, fallbacksFrom: 2 });
  });
  test("a target cooling down is skipped", () => {
    expect(planRoute(route, (m) => m === "a/x", () => 0).deployments).toEqual(["b/y", "c/z"]);
  });
  test("every target cooling down: the fallbacks only", () => {
    expect(planRoute(route, (m) => m !== "c/z", () => 0).deployments).toEqual(["c/z"]);
  });
  test("every target cooling down and no fallbacks: the targets anyway", () => {
    expect(planRoute({ ...route, fallbacks: [] }, () => true, () => 0).deployments).toEqual(["a/x", "b/y"]);
  });
});
