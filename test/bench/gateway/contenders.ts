// What the gateway benchmark's Worker (workerd/worker.ts) and its driver (run.ts) exchange; plain data, no runtime's types.

/**
 * gateway: PROTECT_ORIGIN only; gateway-jwt: the same with GATEWAY_JWT_KEYS; sign-only:
 * signAssertion alone, per call; harness: a handler that does no work (subtracted).
 */
export type Contender = "gateway" | "gateway-jwt" | "sign-only" | "harness";

export interface Info {
  clock: "live" | "frozen";
  resolutionMs: number;
  /** Each contender answered as it should (the origin reached, the assertion there or not). */
  problems: string[];
}

export interface RoundResult {
  results: Partial<Record<Contender, { requests: number; ms: number }>>;
}
