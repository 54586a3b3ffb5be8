// The signing benchmark's Worker, bundled by run.ts and run in workerd through Miniflare.
//
// What one "header" costs, for four contenders signing the same realistic X request
// (POST https://api.x.com/1.1/statuses/update.json?include_entities=true, a status form
// parameter, consumer key and secret, token and secret), HMAC-SHA1:
//   floor      WebCrypto alone: importKey (raw, per-user key) + sign over a precomputed base string
//   ours       OAuth1Client#signRequest, a different token secret on every call, so the key is
//              imported per call (4,096 secrets in turn against a key cache of 256: every call misses)
//   ours-cached  OAuth1Client#signRequest, the same secrets every call (the key cache hits)
//   oauth-1.0a oauth-1.0a's authorize + toHeader with crypto-js HmacSHA1, a different secret per call
// Each contender produces a full Authorization header per call; the floor only the raw signature.
// Ours also builds the rest of the request as fetch takes it (URL, form body, and the Headers
// object that holds the header, about 1.2 µs in workerd); the header is not read back out of
// it (Headers#get, another 1 µs here), as fetch reads it natively. oauth-1.0a returns a plain
// { Authorization } object.
//
// How time is measured. Deployed Workers freeze Date.now() and performance.now() between I/O
// (a Spectre mitigation); local workerd does not, but its clock ticks in whole milliseconds
// (https://developers.cloudflare.com/workers/runtime-apis/performance/, and measured here:
// a busy loop sees the clock move, 1 ms at a time). So /info probes the clock first:
//   live  the clock moves during pure computation (local workerd). A batch starts on a tick edge
//         (spin until performance.now() changes) and is read right after its last call; the error
//         is under one tick, and run.ts sizes batches to about 100 ticks so that is about 1%.
//   io    the clock only moves across I/O. A batch is bracketed by `await setTimeout(0)` (a timer
//         is I/O to workerd, so the clock is read fresh after it), and the cost of an empty
//         bracket (median of 21) is subtracted.
// The WebCrypto calls are synchronous inside workerd (their promises are already settled), so
// nothing in a batch waits on anything but microtasks. A batch is wall time, though: on a busy
// machine other processes' time falls in it. Rounds alternate the contenders (run.ts rotates the
// order every round) so that, like drift, GC and frequency changes, it falls on all of them;
// run.ts reports medians, their spread, and ratios taken within each round.
import CryptoJS from "crypto-js";
import OAuth from "oauth-1.0a";
import { OAuth1Client } from "../../../src/oauth1/index.ts";

export type Contender = "floor" | "ours" | "ours-cached" | "oauth-1.0a";
export interface Info {
  clock: "live" | "io";
  resolutionMs: number;
  ioOverheadMs: number;
  signatures: Record<Contender, string>;
  agree: boolean;
}
export interface RoundResult {
  results: Partial<Record<Contender, { iterations: number; ms: number }>>;
  sink: number;
}

// X's documented example request ("Creating a signature"), on api.x.com.
const URL_STRING = "https://api.x.com/1.1/statuses/update.json?include_entities=true";
const STATUS = "Hello Ladies + Gentlemen, a signed OAuth request!";
const CONSUMER_KEY = "xvz1evFS4wEEPTGEFPHBog";
const CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
const TOKEN = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
const TOKEN_SECRET = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
const PINNED_NONCE = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
const PINNED_SECONDS = 1318622958;
// Its signature base string with that nonce and timestamp: what the floor signs every call.
const BASE_STRING = [
  "POST",
  "https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json",
  [
    "include_entities%3Dtrue",
    `oauth_consumer_key%3D${CONSUMER_KEY}`,
    `oauth_nonce%3D${PINNED_NONCE}`,
    "oauth_signature_method%3DHMAC-SHA1",
    `oauth_timestamp%3D${PINNED_SECONDS}`,
    `oauth_token%3D${TOKEN}`,
    "oauth_version%3D1.0",
    "status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521",
  ].join("%26"),
].join("&");

const encoder = new TextEncoder();
const HMAC_SHA1 = { name: "HMAC", hash: "SHA-1" } as const;
const BASE_BYTES = encoder.encode(BASE_STRING);

// Token secrets like X's (alphanumeric, 45 characters), so the floor's key needs no encoding.
const SECRET_COUNT = 4096;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SECRETS: string[] = [];
const FLOOR_KEYS: Uint8Array<ArrayBuffer>[] = [];
/** Made in /info: workerd allows no random values at global scope. */
function makeSecrets(): void {
  for (let index = SECRETS.length; index < SECRET_COUNT; index++) {
    let secret = "";
    for (const byte of crypto.getRandomValues(new Uint8Array(45))) secret += ALPHABET[byte % ALPHABET.length];
    SECRETS.push(secret);
    FLOOR_KEYS.push(encoder.encode(`${CONSUMER_SECRET}&${secret}`));
  }
}
let next = 0;
const nextSecret = () => (next = (next + 1) % SECRET_COUNT);

const ours = new OAuth1Client({ consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET });
const theirs = new OAuth({
  consumer: { key: CONSUMER_KEY, secret: CONSUMER_SECRET },
  signature_method: "HMAC-SHA1",
  hash_function: (base, key) => CryptoJS.HmacSHA1(base, key).toString(CryptoJS.enc.Base64),
});

/** One call of each contender; returns a length so that nothing is optimized away. */
const RUN: Record<Contender, () => Promise<number> | number> = {
  floor: async () => {
    const key = await crypto.subtle.importKey("raw", FLOOR_KEYS[nextSecret()]!, HMAC_SHA1, false, ["sign"]);
    return (await crypto.subtle.sign("HMAC", key, BASE_BYTES)).byteLength;
  },
  ours: async () => {
    const signed = await ours.signRequest({
      method: "POST",
      url: URL_STRING,
      form: { status: STATUS },
      token: { token: TOKEN, tokenSecret: SECRETS[nextSecret()]! },
    });
    return signed.url.length;
  },
  "ours-cached": async () => {
    const signed = await ours.signRequest({
      method: "POST",
      url: URL_STRING,
      form: { status: STATUS },
      token: { token: TOKEN, tokenSecret: TOKEN_SECRET },
    });
    return signed.url.length;
  },
  "oauth-1.0a": () =>
    theirs.toHeader(
      theirs.authorize({ url: URL_STRING, method: "POST", data: { status: STATUS } }, { key: TOKEN, secret: SECRETS[nextSecret()]! }),
    ).Authorization.length,
};

// ---------------------------------------------------------------------------------------------
// The clock

const timer = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
let clock: "live" | "io" | undefined;
let ioOverheadMs = 0;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Does the clock move without I/O, and by how much per tick? */
async function probeClock(forced: string | null): Promise<{ clock: "live" | "io"; resolutionMs: number }> {
  const start = performance.now();
  let now = start;
  for (let spins = 0; now === start && spins < 5_000_000; spins++) now = performance.now();
  if (now === start || forced === "io") {
    const brackets: number[] = [];
    for (let index = 0; index < 21; index++) {
      await timer();
      const before = performance.now();
      await timer();
      brackets.push(performance.now() - before);
    }
    ioOverheadMs = median(brackets);
    return { clock: "io", resolutionMs: NaN };
  }
  let resolutionMs = Infinity;
  let last = now;
  for (let tick = 0; tick < 5; tick++) {
    let current = performance.now();
    while (current === last) current = performance.now();
    resolutionMs = Math.min(resolutionMs, current - last);
    last = current;
  }
  return { clock: "live", resolutionMs };
}

async function startBatch(): Promise<number> {
  if (clock === "io") {
    await timer();
    return performance.now();
  }
  const last = performance.now();
  let now = last;
  while (now === last) now = performance.now();
  return now;
}

async function endBatch(start: number): Promise<number> {
  if (clock === "io") {
    await timer();
    return performance.now() - start - ioOverheadMs;
  }
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------

/** All four sign the pinned request with X's example secrets: the same signature, or the bench is void. */
async function signatures(): Promise<Record<Contender, string>> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(`${CONSUMER_SECRET}&${TOKEN_SECRET}`), HMAC_SHA1, false, ["sign"]);
  const floor = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, BASE_BYTES))));
  const pinned = new OAuth1Client({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    nonce: () => PINNED_NONCE,
    now: () => PINNED_SECONDS * 1000,
  });
  const signed = await pinned.signRequest({ method: "POST", url: URL_STRING, form: { status: STATUS }, token: { token: TOKEN, tokenSecret: TOKEN_SECRET } });
  const header = signed.headers.get("Authorization") ?? "";
  const oursSignature = decodeURIComponent(/oauth_signature="([^"]*)"/.exec(header)?.[1] ?? "");
  const reference = new OAuth({
    consumer: { key: CONSUMER_KEY, secret: CONSUMER_SECRET },
    signature_method: "HMAC-SHA1",
    hash_function: (base, secret) => CryptoJS.HmacSHA1(base, secret).toString(CryptoJS.enc.Base64),
  });
  reference.getNonce = () => PINNED_NONCE;
  reference.getTimeStamp = () => PINNED_SECONDS;
  const theirsSignature = reference.authorize({ url: URL_STRING, method: "POST", data: { status: STATUS } }, { key: TOKEN, secret: TOKEN_SECRET }).oauth_signature;
  return { floor, ours: oursSignature, "ours-cached": oursSignature, "oauth-1.0a": theirsSignature };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/info") {
      makeSecrets();
      const probed = await probeClock(url.searchParams.get("clock"));
      clock = probed.clock;
      const signed = await signatures();
      const values = Object.values(signed);
      const info: Info = { ...probed, ioOverheadMs, signatures: signed, agree: values.every((value) => value === values[0]) };
      return Response.json(info);
    }
    if (url.pathname === "/round" && request.method === "POST") {
      if (clock === undefined) return new Response("call /info first", { status: 409 });
      const { order, batch } = (await request.json()) as { order: Contender[]; batch: Record<Contender, number> };
      const round: RoundResult = { results: {}, sink: 0 };
      for (const contender of order) {
        const run = RUN[contender];
        const iterations = batch[contender];
        const start = await startBatch();
        for (let index = 0; index < iterations; index++) round.sink += await run();
        round.results[contender] = { iterations, ms: await endBatch(start) };
      }
      return Response.json(round);
    }
    return new Response("not found", { status: 404 });
  },
};
