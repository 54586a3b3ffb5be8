// The latency bench's model: the delays X and KV are given, and per route the calls that must run one after another.
//
// A route's minimum at these delays is the sum of its chain: each step needs what the one before it
// returned (or must be done before the answer may go), so no order of the Worker's code can answer
// sooner. Everything else a route does is listed as `off` the chain, with where it runs instead.
// Shared by run.ts (Node, which prints it) and workerd/worker.ts (which applies the delays and
// drives the routes); plain data, no runtime's types.
//
// To add a route or a step: a row here (its chain and what runs off it), and a scenario in
// workerd/worker.ts that prepares its request (a session, a request-token cookie, ...).

/** The set time each operation takes in the bench, ms: each call to X, and KV's operations. */
export const DELAYS = { x: 120, kvGet: 30, kvPut: 60, kvDelete: 60, kvList: 30 } as const;

/** The Worker as built from src/ ("worker"), and bench-only copies of an earlier order of a route's work. */
export type Contender = "worker" | "before";

export const CONTENDER_LABELS: Record<Contender, string> = {
  worker: "this Worker",
  before: "today's order (92fa0d5)",
};

export type RouteId = "login" | "auth" | "auth-again" | "me" | "logout" | "landing";

/** A call on the route's critical path, and why it cannot start sooner or be left out. */
export interface Step {
  call: string;
  ms: number;
  why: string;
}

/** Something the route does off the critical path: where it runs instead, and why it may. */
export interface OffPath {
  call: string;
  where: string;
}

export interface LatencyRoute {
  id: RouteId;
  /** Method and path, and the case when one path has several. */
  title: string;
  chain: Step[];
  off: OffPath[];
  contenders: readonly Contender[];
  /** A target beside "within WITHIN_MS ms of the minimum", printed with the figure (information: the bench gives no verdict). */
  alsoTarget?: string;
}

const x = (call: string, why: string): Step => ({ call: `X ${call}`, ms: DELAYS.x, why });
const kvGet = (key: string, why: string): Step => ({ call: `KV get ${key}`, ms: DELAYS.kvGet, why });
const kvPut = (key: string, why: string): Step => ({ call: `KV put ${key}`, ms: DELAYS.kvPut, why });
const kvDelete = (key: string, why: string): Step => ({ call: `KV delete ${key}`, ms: DELAYS.kvDelete, why });

/** The target for every route: within this many ms of its minimum at these delays. */
export const WITHIN_MS = 5;

const authChain: Step[] = [
  kvGet("request-token:<id>", "the request token and secret the exchange is signed with (the cookie holds only the id)"),
  x("POST oauth/access_token", "needs that request token and secret, and the callback's verifier"),
  x("GET 1.1/account/verify_credentials.json", "signed with the access token the exchange returned"),
  kvPut("session:<new id>", "the sealed record holds verify_credentials' profile; it must be stored before the cookie that names it is sent"),
];
const requestTokenDelete: OffPath = {
  call: "KV delete request-token:<id>",
  where: "beside access_token: the entry is already taken (the isolate refuses its id until the delete is done, X exchanges a request token once); the answer waits for it, a failed delete answers 503",
};

export const ROUTES: readonly LatencyRoute[] = [
  {
    id: "login",
    title: "GET /login",
    chain: [
      x("POST oauth/request_token", "the first call: there is nothing to store before X gives a request token"),
      kvPut("request-token:<id>", "stores X's token and secret; before the redirect, since X may send a returning user straight back to /auth"),
    ],
    off: [{ call: "the rate-limit check (a stand-in answering at once), the cookie's HMAC (CPU)", where: "before request_token, and after the put (the cookie names the stored entry)" }],
    contenders: ["worker"],
  },
  {
    id: "auth",
    title: "GET /auth",
    chain: authChain,
    off: [requestTokenDelete],
    contenders: ["worker", "before"],
    alsoTarget: `one KV round trip (${DELAYS.kvDelete} ms) faster than today's order`,
  },
  {
    id: "auth-again",
    title: "GET /auth, signing in again",
    chain: authChain,
    off: [
      requestTokenDelete,
      {
        call: "KV delete session:<previous id>",
        where: "after the answer (waitUntil), started once the new session is stored: nothing in the answer needs it, and a failed put leaves the old session as it was",
      },
    ],
    contenders: ["worker", "before"],
    alsoTarget: `two KV deletes (${DELAYS.kvDelete * 2} ms) faster than today's order`,
  },
  {
    id: "me",
    title: "GET /me",
    chain: [kvGet("session:<id>", "the profile it answers")],
    off: [{ call: "the session cookie's HMAC, the record's AES-GCM (CPU)", where: "around the get" }],
    contenders: ["worker"],
  },
  {
    id: "logout",
    title: "POST /logout",
    chain: [
      kvGet(
        "session:<id>",
        "the session middleware reads the record first: only a session that exists and opens is deleted (a stale cookie writes nothing); token revocation (in progress) needs the record's token too. A delete by the cookie's id alone would make this route one KV delete",
      ),
      kvDelete("session:<id>", "the sign-out itself, done before the answer says so"),
    ],
    off: [],
    contenders: ["worker"],
  },
  {
    id: "landing",
    title: "GET / (signed in)",
    chain: [kvGet("session:<id>", "the name and avatar the page shows")],
    off: [],
    contenders: ["worker"],
  },
];

/** The protocol's minimum for a route at DELAYS: its chain, summed. */
export function minimumMs(route: LatencyRoute): number {
  return route.chain.reduce((sum, step) => sum + step.ms, 0);
}

/** One measured request: the time to its answer (body read), and each delayed call's start and end (ms from the request's start). */
export interface Measurement {
  route: RouteId;
  contender: Contender;
  ms: number;
  spans: { call: string; start: number; end: number }[];
}

export interface RoundResult {
  measurements: Measurement[];
}

export interface Info {
  /** What a 50 ms timer measured with performance.now() in the isolate. */
  timerMs: number;
  /** What each delay of the stand-ins measured (median of 5), by its set ms. */
  delayMs: Record<string, number>;
  problems: string[];
}
