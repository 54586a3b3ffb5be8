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

/**
 * The set time each operation takes in the bench, ms: each call to X, KV's operations, and a call
 * to a Durable Object. Cloudflare documents no figure for the last, only that an object is
 * created near the first request for it and that requests from elsewhere travel to it: 20 ms is a
 * request to an object in the visitor's region (the user's object is made where they first sign
 * in); from another continent add 100 ms or more per call (the report prints how many calls each
 * route makes one after another).
 */
export const DELAYS = { x: 120, kvGet: 30, kvPut: 60, kvDelete: 60, kvList: 30, origin: 50, durableObject: 20 } as const;

/** The Worker as built from src/ with KV ("worker") or with the Durable Object store, and bench-only copies of an earlier order of a route's work. */
export type Contender = "worker" | "durable-object" | "before";

export const CONTENDER_LABELS: Record<Contender, string> = {
  worker: "this Worker, KV",
  "durable-object": "this Worker, Durable Object",
  before: "order before issue 12 (KV)",
};

export type RouteId =
  | "login"
  | "auth"
  | "auth-again"
  | "auth-free"
  | "me"
  | "logout"
  | "logout-last"
  | "logout-everywhere"
  | "landing"
  | "gateway"
  | "gateway-public"
  | "login-oauth2"
  | "auth-oauth2"
  | "logout-oauth2";

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
  /** What it cost on the path in the order before issue 12 (the bench-only "before" contender), ms. */
  savesMs?: number;
}

export interface LatencyRoute {
  id: RouteId;
  /** Method and path, and the case when one path has several. */
  title: string;
  /** With KV (the default store). */
  chain: Step[];
  off: OffPath[];
  /** With the Durable Object store. */
  objectChain: Step[];
  contenders: readonly Contender[];
  /** A target beside "within WITHIN_MS ms of the minimum", printed with the figure (information: the bench gives no verdict). */
  alsoTarget?: string;
}

const x = (call: string, why: string): Step => ({ call: `X ${call}`, ms: DELAYS.x, why });
const kvGet = (key: string, why: string): Step => ({ call: `KV get ${key}`, ms: DELAYS.kvGet, why });
const kvPut = (key: string, why: string): Step => ({ call: `KV put ${key}`, ms: DELAYS.kvPut, why });
const kvDelete = (key: string, why: string): Step => ({ call: `KV delete ${key}`, ms: DELAYS.kvDelete, why });
const kvList = (prefix: string, why: string): Step => ({ call: `KV list ${prefix}`, ms: DELAYS.kvList, why });
const origin = (why: string): Step => ({ call: "the protected origin", ms: DELAYS.origin, why });
const object = (call: string, why: string): Step => ({ call: `Durable Object ${call}`, ms: DELAYS.durableObject, why });
const sessionRead = (why: string): Step[] => [
  kvGet(
    "session:<id> ‖ user-signed-out:<shard>",
    `${why}; beside it the user's sign-out mark (a sign-out everywhere refuses sessions begun before it), found by the shard the cookie names`,
  ),
];const objectSessionRead = (why: string): Step => object("readSession in user:<shard>", `${why}; the cookie names the user's object, so it is the one call`);

/** The target for every route: within this many ms of its minimum at these delays. */
export const WITHIN_MS = 5;

const authChain: Step[] = [
  kvGet("request-token:<id>", "the request token and secret the exchange is signed with (the cookie holds only the id)"),
  x("POST oauth/access_token", "needs that request token and secret, and the callback's verifier"),
  x("GET 1.1/account/verify_credentials.json", "signed with the access token the exchange returned"),
  kvPut(
    "session:<new id> ‖ user-session:<user id>:<new id>",
    "the sealed record holds verify_credentials' profile; it must be stored before the cookie that names it is sent (its index key, which needs the user id too, is written beside it)",
  ),
];
const objectAuthChain: Step[] = [
  object("readPendingSignIn in sign-in:<id>", "the request token and secret the exchange is signed with"),
  x("POST oauth/access_token", "as above"),
  x("GET 1.1/account/verify_credentials.json", "as above"),
  object("createSession in user:<shard>", "the sealed record, stored before its cookie is sent; the cap (the user's oldest sessions beyond it) in the same call"),
];
const requestTokenDelete: OffPath = {
  call: "KV delete request-token:<id> (Durable Object: takePendingSignIn)",
  where: "beside access_token: the entry is already taken (the isolate refuses its id until the delete is done, X exchanges a request token once); the answer waits for it, a failed delete answers 503",
  savesMs: DELAYS.kvDelete,
};
const cap: OffPath = {
  call: "KV list user-session:<user id>: and, beyond MAX_SESSIONS_PER_USER, the oldest sessions' deletes",
  where: "after the answer (waitUntil): KV's list is eventually consistent anyway (the Durable Object does it within createSession)",
};

export const ROUTES: readonly LatencyRoute[] = [
  {
    id: "login",
    title: "GET /login",
    chain: [
      x("POST oauth/request_token", "the first call: there is nothing to store before X gives a request token"),
      kvPut("request-token:<id>", "stores X's token and secret; before the redirect, since X may send a returning user straight back to /auth"),
    ],
    objectChain: [x("POST oauth/request_token", "as above"), object("savePendingSignIn in sign-in:<id>", "as above, in the sign-in's own object")],
    off: [{ call: "the rate-limit check (a stand-in answering at once), the cookie's HMAC (CPU)", where: "before request_token, and after the put (the cookie names the stored entry)" }],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "auth",
    title: "GET /auth",
    chain: authChain,
    objectChain: objectAuthChain,
    off: [requestTokenDelete, cap],
    contenders: ["worker", "durable-object", "before"],
    alsoTarget: `one KV round trip (${DELAYS.kvDelete} ms) faster than the order before issue 12`,
  },
  {
    id: "auth-again",
    title: "GET /auth, signing in again",
    chain: authChain,
    objectChain: objectAuthChain,
    off: [
      requestTokenDelete,
      cap,
      {
        call: "KV get session:<previous id> (then its user's mark and index key), then delete it and its index key (Durable Object: read, then end, in the user's object)",
        where: "after the answer (waitUntil), started once the new session is stored: nothing in the answer needs it, and a failed put leaves the old session as it was (the get learns whose index key to delete)",
        savesMs: 2 * DELAYS.kvGet + 2 * DELAYS.kvDelete,
      },
    ],
    contenders: ["worker", "durable-object", "before"],
    alsoTarget: `faster than the order before issue 12 by the request token's delete and ending the previous session (get, get, delete, delete: ${DELAYS.kvDelete + 2 * DELAYS.kvGet + 2 * DELAYS.kvDelete} ms)`,
  },
  {
    id: "auth-free",
    title: "GET /auth, app at X's free level",
    chain: [
      authChain[0]!,
      authChain[1]!,
      x("GET 2/users/me", "X API v2's profile, signed with the access token the exchange returned, in place of verify_credentials"),
      authChain[3]!,
    ],
    objectChain: [objectAuthChain[0]!, objectAuthChain[1]!, x("GET 2/users/me", "as above"), objectAuthChain[3]!],
    off: [
      requestTokenDelete,
      cap,
      {
        call: "X GET 1.1/account/verify_credentials.json",
        where: "not called: X refused it (403 code 453) at the isolate's first sign-in, and that is remembered for an hour (the scenario signs in once before, with the delays off)",
      },
    ],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "me",
    title: "GET /me",
    chain: sessionRead("the profile it answers"),
    objectChain: [objectSessionRead("the profile it answers")],
    off: [
      { call: "the session cookie's HMAC, the record's AES-GCM (CPU)", where: "around the get" },
      {
        call: "lastSeenAt: KV get user-session:<user id>:<id>, and its put when five minutes old (none here)",
        where: "KV: after the answer, each isolate looking at most every five minutes; the Durable Object: within the read",
      },
    ],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "logout",
    title: "POST /logout, another session of the user open",
    chain: [
      ...sessionRead("the record first: only a session that exists and opens is ended, and its user id and token decide about revocation"),
      kvDelete("session:<id>", "the sign-out itself, done before the answer says so (a failure is a 503 with the cookie kept, to try again)"),
    ],
    objectChain: [objectSessionRead("as above"), object("endSession in user:<shard>", "the sign-out itself")],
    off: [
      {
        call: "KV delete user-session:<user id>:<id>, KV list user-session:<user id>:, KV get of each other session listed",
        where: "after the answer (waitUntil): the index key goes after the record (never a live session unlisted); the list finds the other session, so the token is kept",
      },
    ],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "logout-last",
    title: "POST /logout, the user's last session",
    chain: [...sessionRead("as above"), kvDelete("session:<id>", "as above")],
    objectChain: [objectSessionRead("as above"), object("endSession in user:<shard>", "as above")],
    off: [
      {
        call: "KV delete of the index key, KV list, X POST 1.1/oauth/invalidate_token",
        where: "after the answer (waitUntil): revocation never holds up or undoes a sign-out; the list finds no other session, so the token is revoked",
      },
    ],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "logout-everywhere",
    title: "POST /logout?everywhere=true, two sessions",
    chain: [
      ...sessionRead("the user whose sessions end: only the record names them"),
      kvPut(
        "user-signed-out:<shard>",
        "the mark: once it is written every session of the user begun before it is refused, listed or not, so it is the sign-out (a failure before it changed nothing and can be tried again)",
      ),
    ],
    objectChain: [objectSessionRead("the user whose sessions end"), object("endUserSessions in user:<shard>", "every session of the user, one statement")],
    off: [
      {
        call: "KV delete session:<id>, KV list user-session:<user id>:, KV delete of every listed record and index key (Durable Object: none), X POST 1.1/oauth/invalidate_token",
        where: "after the answer (waitUntil): clean-up of sessions the mark refuses already, then the revocation",
      },
    ],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "landing",
    title: "GET / (signed in)",
    chain: [...sessionRead("the name and avatar the page shows"), kvList("user-session:<user id>: ‖ KV get user-signed-out:<shard>", "the devices list: the user's index keys and their metadata, and the mark that hides those it refuses")],
    objectChain: [objectSessionRead("as above"), object("listSessions in user:<shard>", "the devices list")],
    off: [],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "gateway",
    title: "gateway mode: GET /page (signed in)",
    chain: [
      ...sessionRead("who the visitor is: the identity headers, the allow-lists, and whether to forward at all"),
      origin("the page itself, forwarded with the identity headers (streamed: the answer's last byte is the origin's)"),
    ],
    objectChain: [objectSessionRead("as above"), origin("as above")],
    off: [{ call: "the X-Twitter-Signature HMAC (CPU)", where: "between the get and the forward" }],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "login-oauth2",
    title: "GET /login, OAuth 2.0",
    chain: [kvPut("request-token:<id>", "the PKCE verifier and the state, stored before the redirect: X may send the browser straight back")],
    objectChain: [object("savePendingSignIn in sign-in:<id>", "as above")],
    off: [{ call: "the verifier, state and S256 challenge (CPU: random bytes, one SHA-256)", where: "before the put: no call to X, OAuth 2.0 has no request token" }],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "auth-oauth2",
    title: "GET /auth, OAuth 2.0",
    chain: [
      kvGet("request-token:<id>", "the verifier the code is redeemed with, and the state the callback must carry"),
      x("POST 2/oauth2/token", "redeems the code with that verifier (HTTP Basic)"),
      x("GET 2/users/me", "with the access token the token endpoint returned: X's 2.0 token answer has no user id"),
      kvPut("session:<new id> ‖ user-session:<user id>:<new id>", "the sealed record (profile and grant), stored before its cookie is sent"),
    ],
    objectChain: [
      object("readPendingSignIn in sign-in:<id>", "as above"),
      x("POST 2/oauth2/token", "as above"),
      x("GET 2/users/me", "as above"),
      object("createSession in user:<shard>", "as above"),
    ],
    off: [requestTokenDelete, cap],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "logout-oauth2",
    title: "POST /logout, OAuth 2.0",
    chain: [
      ...sessionRead("the record: only a session that opens is ended, and it holds the grant"),
      kvGet("session-grant:<id>", "the newest refresh token to revoke, read before the session ends (its refreshed grant goes with it)"),
      kvDelete("session:<id>", "the sign-out itself"),
    ],
    objectChain: [
      objectSessionRead("as above"),
      object("readRefreshedGrant in user:<shard>", "as above"),
      object("endSession in user:<shard>", "the sign-out itself"),
    ],
    off: [{ call: "KV delete of the index key, grant and lease; X POST 2/oauth2/revoke", where: "after the answer (waitUntil): under 2.0 each sign-in's grant is its own, revoked at every sign-out" }],
    contenders: ["worker", "durable-object"],
  },
  {
    id: "gateway-public",
    title: "gateway mode: GET /assets/app.css (PUBLIC_PATHS)",
    chain: [origin("forwarded as it is: a public path needs no session, so none is read")],
    objectChain: [origin("as above")],
    off: [],
    contenders: ["worker", "durable-object"],
  },
];

/** The calls a contender's route must make one after another. */
export function chainOf(route: LatencyRoute, contender: Contender): Step[] {
  return contender === "durable-object" ? route.objectChain : route.chain;
}

/** The protocol's minimum for a route at DELAYS with this contender's store: its chain, summed. */
export function minimumMs(route: LatencyRoute, contender: Contender = "worker"): number {
  return chainOf(route, contender).reduce((sum, step) => sum + step.ms, 0);
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
