import type { Route, RouteTarget } from "./route-table.ts";

/** The deployments one request may try, in order; each gets `retries` more tries when it fails retryably. */
export interface Plan {
  deployments: readonly string[];
  retries: number;
  /** False for a plain model id: one try, no retry. */
  routed: boolean;
  /** Index in `deployments` where the route's fallbacks begin (none: the length). */
  fallbacksFrom?: number;
}

/** Targets in weighted random order (drawn without replacement, each by its share of what is left). */
export function weightedOrder(targets: readonly RouteTarget[], random: () => number): string[] {
  const left = [...targets];
  const out: string[] = [];
  while (left.length > 0) {
    let total = 0;
    for (const t of left) total += t.weight;
    let pick = random() * total;
    let i = 0;
    while (i < left.length - 1 && pick >= left[i]!.weight) pick -= left[i++]!.weight;
    out.push(left[i]!.model);
    left.splice(i, 1);
  }
  return out;
}

/**
 * The contract's order: targets not cooling down (by weight), then the fallbacks in order. When
 * every target is cooling down, the fallbacks; with no fallbacks, the targets anyway.
 */
export function planRoute(route: Route, isCooling: (model: string) => boolean, random: () => number): Plan {
  const healthy = route.targets.filter((t) => !isCooling(t.model));
  const targets = healthy.length > 0 ? healthy : route.fallbacks.length > 0 ? [] : route.targets;
  const ordered = weightedOrder(targets, random);
  return { deployments: [...ordered, ...route.fallbacks], retries: route.retries, routed: true, fallbacksFrom: ordered.length };
}
