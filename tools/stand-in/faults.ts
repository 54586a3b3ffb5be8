// Injected faults: what each endpoint should get wrong next, how many times, and the check of a fault sent over HTTP.

/**
 * The endpoints faults and counters are kept for. "authorize" is the consent pages and the consent
 * form's POST; "invalidate_token" is POST 1.1/oauth/invalidate_token (revoking an access token);
 * "users_me" is X API v2's GET /2/users/me (either protocol); "oauth2_authorize" is OAuth 2.0's
 * consent page and its POST, "oauth2_token" POST 2/oauth2/token, "oauth2_revoke" POST 2/oauth2/revoke.
 */
export const ENDPOINTS = [
  "request_token",
  "authorize",
  "access_token",
  "verify_credentials",
  "invalidate_token",
  "users_me",
  "oauth2_authorize",
  "oauth2_token",
  "oauth2_revoke",
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/**
 * What to get wrong. `times`: apply to the next N requests to that endpoint, then clear itself
 * (default: until cleared).
 * - status: answer this status (body default: a small HTML page; contentType default text/html).
 * - unauthorized: 401 code 32. callback-not-approved: 403 code 415.
 * - garbage: 200 with a body that is not the protocol's (default `<html>oops</html>`), in the
 *   endpoint's usual content type.
 * - missing-fields: the normal answer minus these fields (form fields of the token endpoints, top-level
 *   keys of the verify_credentials or users/me JSON, query parameters of the consent form's redirect). Not applied
 *   to (and not used up by) the GET consent pages.
 * - hang: never answer; the socket stays open until the client gives up or close().
 * - slow: answer normally after delayMs.
 */
export type Fault = (
  | { kind: "status"; status: number; body?: string; contentType?: string }
  | { kind: "unauthorized" }
  | { kind: "callback-not-approved" }
  | { kind: "garbage"; body?: string }
  | { kind: "missing-fields"; omit: string[] }
  | { kind: "hang" }
  | { kind: "slow"; delayMs: number }
) & { times?: number };

export type FaultKind = Fault["kind"];

interface ArmedFault {
  fault: Fault;
  remaining: number;
}

/** The faults set per endpoint. */
export class FaultBoard {
  private readonly armed = new Map<Endpoint, ArmedFault>();

  set(endpoint: Endpoint, fault: Fault | null): void {
    if (fault === null) {
      this.armed.delete(endpoint);
      return;
    }
    const problem = faultProblem(fault);
    if (problem) throw new TypeError(`invalid fault: ${problem}`);
    this.armed.set(endpoint, { fault: structuredClone(fault), remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.armed.clear();
  }

  /** The fault to apply to this request, used up by one; null if none (or if `applies` refuses it, which leaves it armed). */
  take(endpoint: Endpoint, applies: (fault: Fault) => boolean = () => true): Fault | null {
    const armed = this.armed.get(endpoint);
    if (!armed || !applies(armed.fault)) return null;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.armed.delete(endpoint);
    return armed.fault;
  }

  /** What is armed, for stats. */
  snapshot(): Partial<Record<Endpoint, Fault & { remaining?: number }>> {
    const out: Partial<Record<Endpoint, Fault & { remaining?: number }>> = {};
    for (const [endpoint, { fault, remaining }] of this.armed) {
      out[endpoint] = Number.isFinite(remaining) ? { ...fault, remaining } : { ...fault };
    }
    return out;
  }
}

export function isEndpoint(value: unknown): value is Endpoint {
  return typeof value === "string" && (ENDPOINTS as readonly string[]).includes(value);
}

const MAX_DELAY_MS = 10 * 60 * 1000;

/** Why a value is not a Fault, or null if it is one. */
export function faultProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a fault is an object with a kind";
  const f = value as Record<string, unknown>;
  if (f["times"] !== undefined && !(Number.isInteger(f["times"]) && (f["times"] as number) > 0)) return "times must be a positive integer";
  switch (f["kind"]) {
    case "status":
      if (!Number.isInteger(f["status"]) || (f["status"] as number) < 200 || (f["status"] as number) > 599) return "status must be an integer from 200 to 599";
      if (f["body"] !== undefined && typeof f["body"] !== "string") return "body must be a string";
      if (f["contentType"] !== undefined && typeof f["contentType"] !== "string") return "contentType must be a string";
      return null;
    case "garbage":
      if (f["body"] !== undefined && typeof f["body"] !== "string") return "body must be a string";
      return null;
    case "missing-fields":
      if (!Array.isArray(f["omit"]) || !f["omit"].every((x) => typeof x === "string")) return "omit must be an array of field names";
      return null;
    case "slow":
      if (typeof f["delayMs"] !== "number" || !(f["delayMs"] >= 0 && f["delayMs"] <= MAX_DELAY_MS)) return `delayMs must be a number from 0 to ${MAX_DELAY_MS}`;
      return null;
    case "unauthorized":
    case "callback-not-approved":
    case "hang":
      return null;
    default:
      return "kind must be one of status, unauthorized, callback-not-approved, garbage, missing-fields, hang, slow";
  }
}
