// A browser-like load driver: many concurrent, complete "Sign in with Twitter" runs against the Worker and the stand-in.
//
// Each virtual user has its own cookie jar and follows every redirect by hand, as a browser does:
//   GET {baseUrl}/login -> 302 to the provider's authenticate page -> GET that page, read its form ->
//   POST the form (a unique screen name, action=allow) -> 302 to {baseUrl}/auth?oauth_token&oauth_verifier ->
//   GET it with the cookie -> 200 verify_credentials JSON, or a 302/303 (to the `next` path given to
//   /login) after which the identity must come from GET {baseUrl}/me with the cookies (see `me`).
// It then checks the identity it got back is its own (no cross-talk between concurrent users).
import { CookieJar } from "./cookie-jar.ts";

export { CookieJar } from "./cookie-jar.ts";

/** The timed steps of one sign-in. `me` only happens when /auth redirects instead of answering JSON. */
export const STEPS = ["login", "consent_page", "consent_post", "auth", "me"] as const;
export type Step = (typeof STEPS)[number];
/** How a sign-in's identity was obtained. */
export type Via = "json" | "json+me" | "redirect+me";

export interface SignInOptions {
  /** The Worker's origin, e.g. http://127.0.0.1:8787 (no trailing slash needed). */
  baseUrl: string;
  /** Where a sign-in starts, relative to baseUrl. Default "/login"; e.g. "/login?next=%2F" for the redirect flow. */
  loginPath?: string;
  /**
   * When to read the identity back from GET {baseUrl}/me with the browser's cookies:
   * "after-redirect" (default) only when /auth redirects instead of answering JSON (then it is the
   * only way to check the identity, and a sign-in without it is a failure); "always" also after a
   * 200 JSON (checks the session too); "never" counts a redirect from /auth as a failure.
   */
  me?: "never" | "after-redirect" | "always";
  /** How many sign-ins to run. */
  count: number;
  /** How many are in flight at once (a pool). */
  concurrency: number;
  /**
   * Wall-clock budget for the whole run: no sign-in starts after it, and those in flight are
   * aborted when it ends (counted as failures of kind "... aborted (time budget)").
   */
  timeBudgetMs: number;
  /**
   * Screen names are userPrefix + index (index in base 10), validated as X's 1-15 characters of
   * [A-Za-z0-9_]. Default `load_<4 random base36 characters>_`.
   */
  userPrefix?: string;
  /** Overrides the screen name of a sign-in (e.g. to sign the same user in twice). */
  screenName?: (index: number) => string;
  /**
   * The `CF-Connecting-IP` header each virtual user sends to the Worker (the Worker rate-limits
   * /login per client IP). Default: distinct addresses in 198.18.0.0/15 (RFC 2544's benchmarking
   * range; only header values, no traffic goes there), see `benchmarkIp`.
   */
  clientIp?: (index: number) => string;
  /** The user id the provider must give a screen name (the stand-in's are deterministic). */
  expectedId?: (screenName: string) => string;
  /** Timeout of each HTTP request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Aborts the run (e.g. on Ctrl+C): nothing new starts, requests in flight are aborted. */
  signal?: AbortSignal;
  /** Called after each finished sign-in. */
  onProgress?: (finished: number, total: number) => void;
}

/** How one sign-in went. */
export interface SignInOutcome {
  index: number;
  screenName: string;
  clientIp: string;
  ok: boolean;
  /** Failure kind, e.g. "auth 400 expired_sign_in", "login network ECONNRESET", "identity mismatch". */
  failure?: string;
  /** What went wrong with the identity, when it was not this user's. */
  crossTalk?: string;
  /** "json": /auth answered 200 JSON; "json+me": and /me agreed; "redirect+me": /auth redirected and /me gave the identity. */
  via?: Via;
  /** The identity the Worker gave back. */
  identity?: { screenName: string; id: string };
  /**
   * The last step that got its expected answer (undefined: not even /login). A failed sign-in that
   * reached "login" but not "auth" left its request token in the Worker's KV (until its TTL).
   */
  reached?: Step;
  /** Whole sign-in, ms (for failed ones too, up to the failure). */
  durationMs: number;
  steps: Partial<Record<Step, number>>;
}

/** Latency summary in ms (nearest-rank percentiles). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface SignInResults {
  requested: number;
  concurrency: number;
  /** Sign-ins started / finished (successfully or not) / never started (time budget or abort). */
  started: number;
  finished: number;
  notStarted: number;
  succeeded: number;
  failed: number;
  /** Failures by kind (cross-talk included, as "identity mismatch"). */
  failures: Record<string, number>;
  /** Sign-ins whose identity was not their own, plus users sharing an id with another. */
  crossTalk: number;
  /** A few cross-talk descriptions. */
  crossTalkExamples: string[];
  /** How many successes came via 200 JSON (then /me or not) and via redirect + /me. */
  via: Record<Via, number>;
  /** True when the time budget ended the run before every sign-in finished. */
  budgetExhausted: boolean;
  aborted: boolean;
  /** From the first start to the last finish, ms. */
  durationMs: number;
  /** Successful sign-ins per second over durationMs. */
  signInsPerSecond: number;
  /** Successful sign-ins only. */
  latency: { signIn: LatencySummary; steps: Partial<Record<Step, LatencySummary>> };
  outcomes: SignInOutcome[];
}

const FIRST_BENCHMARK_IP = 0xc6_12_00_00; // 198.18.0.0
const BENCHMARK_IP_COUNT = 1 << 17; // /15

/** The index-th address of 198.18.0.0/15, skipping .0 (index 0 -> 198.18.0.1); wraps after 131071. */
export function benchmarkIp(index: number): string {
  const n = (FIRST_BENCHMARK_IP + 1 + (index % (BENCHMARK_IP_COUNT - 1))) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** A fresh default prefix: `load_` + 4 random base36 characters + `_` (10 characters, room for 5 digits). */
export function randomUserPrefix(): string {
  const run = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0");
  return `load_${run}_`;
}

const SCREEN_NAME = /^[A-Za-z0-9_]{1,15}$/;

/** Runs `count` complete sign-ins, `concurrency` at a time, and checks each identity. Never throws for a failed sign-in. */
export async function runSignIns(options: SignInOptions): Promise<SignInResults> {
  const { count, concurrency, timeBudgetMs } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError("count must be a non-negative integer");
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  if (!(timeBudgetMs > 0)) throw new RangeError("timeBudgetMs must be positive");
  const baseUrl = new URL(options.baseUrl).origin;
  const prefix = options.userPrefix ?? randomUserPrefix();
  const nameOf = options.screenName ?? ((index: number) => `${prefix}${index}`);
  const ipOf = options.clientIp ?? benchmarkIp;
  // Every name is checked before anything starts: a bad one would fail at the consent form, not as load.
  for (let index = 0; index < count; index += 1) {
    const name = nameOf(index);
    if (!SCREEN_NAME.test(name)) throw new RangeError(`screen name ${JSON.stringify(name)} is not 1-15 of [A-Za-z0-9_] (X's rule)`);
  }

  const loginUrl = new URL(options.loginPath ?? "/login", baseUrl);
  if (loginUrl.origin !== baseUrl) throw new RangeError("loginPath must stay on baseUrl");

  // Ends the run at the budget: in-flight requests are aborted through this signal.
  const budget = new AbortController();
  const budgetTimer = setTimeout(() => budget.abort(new BudgetExhausted()), timeBudgetMs);
  const stopSignal = options.signal ? AbortSignal.any([budget.signal, options.signal]) : budget.signal;
  const context: UserContext = {
    baseUrl,
    loginUrl: loginUrl.href,
    me: options.me ?? "after-redirect",
    expectedId: options.expectedId,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    stopSignal,
  };

  const outcomes: SignInOutcome[] = [];
  let next = 0;
  let finished = 0;
  const started = performance.now();
  let lastFinish = started;
  const worker = async () => {
    while (next < count && !stopSignal.aborted) {
      const index = next;
      next += 1;
      const outcome = await signIn(context, index, nameOf(index), ipOf(index));
      outcomes.push(outcome);
      finished += 1;
      lastFinish = performance.now();
      options.onProgress?.(finished, count);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    clearTimeout(budgetTimer);
  }
  outcomes.sort((a, b) => a.index - b.index);
  checkDistinctIdentities(outcomes);
  return summarizeRun(options, outcomes, next, lastFinish - started, budget.signal.aborted && finished < count, options.signal?.aborted ?? false);
}

/** What every virtual user shares. */
interface UserContext {
  baseUrl: string;
  loginUrl: string;
  me: "never" | "after-redirect" | "always";
  expectedId: ((screenName: string) => string) | undefined;
  requestTimeoutMs: number;
  stopSignal: AbortSignal;
}

class BudgetExhausted extends Error {
  constructor() {
    super("the load run's time budget is exhausted");
    this.name = "BudgetExhausted";
  }
}

/** A sign-in that went off the expected path, with its failure kind. */
class StepFailure extends Error {
  readonly kind: string;
  constructor(kind: string) {
    super(kind);
    this.kind = kind;
  }
}

/** One virtual user's whole sign-in. */
async function signIn(context: UserContext, index: number, screenName: string, clientIp: string): Promise<SignInOutcome> {
  const jar = new CookieJar();
  const steps: Partial<Record<Step, number>> = {};
  const outcome: SignInOutcome = { index, screenName, clientIp, ok: false, durationMs: 0, steps };
  const started = performance.now();
  const { baseUrl } = context;

  /** One request, like a browser: cookies from the jar, CF-Connecting-IP to the Worker, no automatic redirects. */
  const request = async (step: Step, url: string, init: { method?: string; form?: URLSearchParams } = {}): Promise<{ response: Response; body: string; url: string }> => {
    const headers = new Headers({ "User-Agent": "twitter-login-load/1 (virtual browser)", Accept: "text/html,application/json;q=0.9,*/*;q=0.8" });
    const cookie = jar.header(url);
    if (cookie) headers.set("Cookie", cookie);
    if (new URL(url).origin === baseUrl) headers.set("CF-Connecting-IP", clientIp);
    if (init.form) headers.set("Content-Type", "application/x-www-form-urlencoded");
    const signal = AbortSignal.any([context.stopSignal, AbortSignal.timeout(context.requestTimeoutMs)]);
    const stepStarted = performance.now();
    try {
      const response = await fetch(url, { method: init.method ?? "GET", headers, body: init.form?.toString(), redirect: "manual", signal });
      const body = await response.text();
      jar.store(url, response);
      return { response, body, url };
    } catch (error) {
      throw new StepFailure(`${step} ${networkFailure(error, context.stopSignal)}`);
    } finally {
      steps[step] = (steps[step] ?? 0) + (performance.now() - stepStarted);
    }
  };

  try {
    // 1. /login: a 302 to the provider's authenticate page, and the request-token cookie.
    const login = await request("login", context.loginUrl);
    const authorizePage = redirectTarget("login", login, [302]);
    outcome.reached = "login";

    // 2. The consent page, as a browser shows it: its form and hidden oauth_token.
    const consent = await request("consent_page", authorizePage);
    if (consent.response.status !== 200) throw new StepFailure(httpFailure("consent_page", consent));
    const form = parseConsentForm(consent.body, consent.url);
    if (!form) throw new StepFailure("consent_page 200 without the consent form");
    outcome.reached = "consent_page";

    // 3. The user types their screen name and presses "Authorize app".
    const fields = new URLSearchParams(form.hidden);
    fields.set("screen_name", screenName);
    fields.set("action", "allow");
    const decision = await request("consent_post", form.action, { method: "POST", form: fields });
    const callbackUrl = redirectTarget("consent_post", decision, [302, 303]);
    const callback = new URL(callbackUrl);
    if (callback.origin !== baseUrl || callback.pathname !== "/auth") throw new StepFailure(`consent_post ${decision.response.status} to an unexpected place`);
    outcome.reached = "consent_post";

    // 4. X's redirect back to the Worker's /auth, with the cookie.
    const auth = await request("auth", callbackUrl);
    const identities: { source: string; identity: { screenName: string; id: string } }[] = [];
    const readMe = async (after: string) => {
      const me = await request("me", `${baseUrl}/me`);
      if (me.response.status !== 200) throw new StepFailure(`${after} then ${httpFailure("me", me)}`);
      const identity = identityFromMe(me.body);
      if (!identity) throw new StepFailure(`${after} then me 200 without {id, screenName}`);
      identities.push({ source: "/me", identity });
      outcome.reached = "me";
    };
    if (auth.response.status === 200) {
      const identity = identityFromVerifyCredentials(auth.body);
      if (!identity) throw new StepFailure("auth 200 without verify_credentials JSON");
      identities.push({ source: "/auth", identity });
      outcome.reached = "auth";
      outcome.via = "json";
      if (context.me === "always") {
        await readMe("auth 200");
        outcome.via = "json+me";
      }
    } else if ((auth.response.status === 302 || auth.response.status === 303) && context.me !== "never") {
      // After a redirect (to the `next` path /login was given) the identity can only be checked
      // through GET /me with the cookies /auth set. Only that counts as success.
      redirectTarget("auth", auth, [302, 303]);
      outcome.reached = "auth";
      await readMe(`auth ${auth.response.status}`);
      outcome.via = "redirect+me";
    } else {
      throw new StepFailure(httpFailure("auth", auth));
    }

    // 5. Is every identity the Worker gave this user's own?
    outcome.identity = identities[0]!.identity;
    const problems: string[] = [];
    const expected = context.expectedId?.(screenName);
    for (const { source, identity } of identities) {
      if (identity.screenName !== screenName) problems.push(`${source} screen name ${JSON.stringify(identity.screenName)}`);
      if (expected !== undefined && identity.id !== expected) problems.push(`${source} id ${identity.id}, expected ${expected}`);
      else if (identity.id !== outcome.identity.id) problems.push(`${source} id ${identity.id}, /auth said ${outcome.identity.id}`);
    }
    if (problems.length > 0) {
      outcome.crossTalk = `${screenName} got ${problems.join(", ")}`;
      throw new StepFailure("identity mismatch");
    }
    outcome.ok = true;
  } catch (error) {
    outcome.failure = error instanceof StepFailure ? error.kind : `unexpected ${error instanceof Error ? error.name : typeof error}`;
  }
  outcome.durationMs = performance.now() - started;
  return outcome;
}

/** The Location of an expected redirect, resolved against the request URL. */
function redirectTarget(step: Step, answer: { response: Response; body: string; url: string }, statuses: number[]): string {
  if (!statuses.includes(answer.response.status)) throw new StepFailure(httpFailure(step, answer));
  const location = answer.response.headers.get("Location");
  if (!location) throw new StepFailure(`${step} ${answer.response.status} without Location`);
  try {
    return new URL(location, answer.url).href;
  } catch {
    throw new StepFailure(`${step} ${answer.response.status} with an invalid Location`);
  }
}

/** "step status error_code", the code from the Worker's JSON `{error, error_description}` or the stand-in's page. */
function httpFailure(step: Step, answer: { response: Response; body: string }): string {
  const status = answer.response.status;
  const type = answer.response.headers.get("Content-Type") ?? "";
  let code: string | undefined;
  if (type.includes("json")) {
    try {
      const value: unknown = JSON.parse(answer.body);
      if (value && typeof value === "object") {
        const { error, errors } = value as { error?: unknown; errors?: unknown };
        if (typeof error === "string") code = error;
        // X's own error shape (from the stand-in): {"errors":[{"code":89,...}]}
        else if (Array.isArray(errors) && errors[0] && typeof errors[0] === "object") code = `x_code_${String((errors[0] as { code?: unknown }).code)}`;
      }
    } catch {
      code = "unparsable_json";
    }
  } else if (type.includes("html")) {
    // The Worker's error page for browsers shows the code in #error-code; the stand-in's pages have ids.
    const shown = /\bid="error-code"[^>]*>([^<]{1,64})</.exec(answer.body)?.[1];
    const id = /<(?:p|div)[^>]*\bid="(invalid_token|error)"/.exec(answer.body)?.[1];
    code = shown ? decodeHtml(shown.trim()) : id ? `page#${id}` : "html";
  }
  return code ? `${step} ${status} ${code}` : `${step} ${status}`;
}

/** Why a fetch threw: the time budget, an abort, a request timeout, or a network error code. */
function networkFailure(error: unknown, stopSignal: AbortSignal): string {
  if (stopSignal.aborted) return stopSignal.reason instanceof BudgetExhausted ? "aborted (time budget)" : "aborted";
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "timeout";
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return `network ${cause.code}`;
  return `network ${error instanceof Error ? error.name : typeof error}`;
}

/** The consent page's form: where it posts and its hidden fields (HTML-decoded). */
export function parseConsentForm(html: string, pageUrl: string): { action: string; hidden: [string, string][] } | undefined {
  const formTag = /<form\b[^>]*>/i.exec(html)?.[0];
  if (!formTag) return undefined;
  const method = attribute(formTag, "method")?.toLowerCase();
  if (method !== "post") return undefined;
  const action = new URL(attribute(formTag, "action") ?? "", pageUrl).href;
  const hidden: [string, string][] = [];
  for (const [input] of html.matchAll(/<input\b[^>]*>/gi)) {
    if (attribute(input, "type")?.toLowerCase() !== "hidden") continue;
    const name = attribute(input, "name");
    if (name) hidden.push([name, attribute(input, "value") ?? ""]);
  }
  if (!hidden.some(([name]) => name === "oauth_token")) return undefined;
  return { action, hidden };
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  if (!match) return undefined;
  return decodeHtml(match[1] ?? match[2] ?? match[3] ?? "");
}

function decodeHtml(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    return named[entity.toLowerCase()] ?? whole;
  });
}

/** {screen_name, id_str} of a verify_credentials answer; id_str must equal the raw `id` digits. */
function identityFromVerifyCredentials(body: string): { screenName: string; id: string } | undefined {
  try {
    const value = JSON.parse(body) as { screen_name?: unknown; id_str?: unknown };
    if (typeof value.screen_name !== "string" || typeof value.id_str !== "string") return undefined;
    // The raw `id` (above 2^53, so read as text) must be the same number as id_str.
    const rawId = /"id"\s*:\s*(\d+)/.exec(body)?.[1];
    if (rawId !== undefined && rawId !== value.id_str) return { screenName: value.screen_name, id: `${value.id_str} (id ${rawId})` };
    return { screenName: value.screen_name, id: value.id_str };
  } catch {
    return undefined;
  }
}

/** /me's identity, tolerant of shape: `id` or `id_str` (string or raw digits), `screenName` or `screen_name`. */
function identityFromMe(body: string): { screenName: string; id: string } | undefined {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    const user = value.user && typeof value.user === "object" ? (value.user as Record<string, unknown>) : value;
    const screenName = typeof user.screenName === "string" ? user.screenName : typeof user.screen_name === "string" ? user.screen_name : undefined;
    let id = typeof user.id_str === "string" ? user.id_str : typeof user.id === "string" ? user.id : undefined;
    // A numeric id above 2^53 loses digits in JSON.parse: take the raw digits from the text.
    if (id === undefined && typeof user.id === "number") id = /"id"\s*:\s*(\d+)/.exec(body)?.[1];
    if (screenName === undefined || id === undefined) return undefined;
    return { screenName, id };
  } catch {
    return undefined;
  }
}

/** Across users: one id per screen name and one screen name per id (case-insensitive names, as X). */
function checkDistinctIdentities(outcomes: SignInOutcome[]): void {
  const idByName = new Map<string, string>();
  const nameById = new Map<string, string>();
  for (const outcome of outcomes) {
    if (!outcome.ok || !outcome.identity) continue;
    const name = outcome.screenName.toLowerCase();
    const id = outcome.identity.id;
    const knownId = idByName.get(name);
    const knownName = nameById.get(id);
    let problem: string | undefined;
    if (knownId !== undefined && knownId !== id) problem = `${outcome.screenName} got id ${id}, earlier ${knownId}`;
    else if (knownName !== undefined && knownName !== name) problem = `${outcome.screenName} got id ${id}, already ${knownName}'s`;
    if (problem) {
      outcome.ok = false;
      outcome.failure = "identity mismatch";
      outcome.crossTalk = problem;
      continue;
    }
    idByName.set(name, id);
    nameById.set(id, name);
  }
}

function summarizeRun(
  options: SignInOptions,
  outcomes: SignInOutcome[],
  started: number,
  durationMs: number,
  budgetExhausted: boolean,
  aborted: boolean,
): SignInResults {
  const failures: Record<string, number> = {};
  const via: Record<Via, number> = { json: 0, "json+me": 0, "redirect+me": 0 };
  const crossTalkExamples: string[] = [];
  let crossTalk = 0;
  const successes = outcomes.filter((o) => o.ok);
  for (const outcome of outcomes) {
    if (outcome.crossTalk !== undefined) {
      crossTalk += 1;
      if (crossTalkExamples.length < 5) crossTalkExamples.push(outcome.crossTalk);
    }
    if (outcome.ok && outcome.via) via[outcome.via] += 1;
    if (!outcome.ok) {
      const kind = outcome.failure ?? "unknown";
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
  }
  const notStarted = options.count - started;
  if (notStarted > 0) failures[aborted ? "not started (aborted)" : "not started (time budget)"] = notStarted;
  const steps: Partial<Record<Step, LatencySummary>> = {};
  for (const step of STEPS) {
    const values = successes.map((o) => o.steps[step]).filter((v): v is number => v !== undefined);
    if (values.length > 0) steps[step] = summarize(values);
  }
  return {
    requested: options.count,
    concurrency: options.concurrency,
    started,
    finished: outcomes.length,
    notStarted,
    succeeded: successes.length,
    failed: options.count - successes.length,
    failures,
    crossTalk,
    crossTalkExamples,
    via,
    budgetExhausted,
    aborted,
    durationMs,
    signInsPerSecond: durationMs > 0 ? successes.length / (durationMs / 1000) : 0,
    latency: { signIn: summarize(successes.map((o) => o.durationMs)), steps },
    outcomes,
  };
}

/** min / mean / nearest-rank p50, p95, p99 / max of some durations (all 0 when there are none). */
export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1]!,
  };
}
