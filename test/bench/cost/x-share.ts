// X's share of what a sign-in costs (bench and docs only): the billed reads each protocol and profile choice makes at X, priced at X's published pay-per-use rates.
//
// X bills reads "per resource fetched" and deduplicates each resource "within a 24-hour UTC day
// window" ("a soft guarantee"): the profile of a user read twice in one UTC day is billed once.
// The OAuth endpoints (request_token, access_token, invalidate_token) have no price in X's table.
// That /2/users/me and v1.1 verify_credentials bill as "User: Read" is our inference (X's table
// names resources, not endpoints). npm run bench:cost prints this beside the Worker's share and
// writes the Markdown block docs/x-app.md and docs/benchmarks.md quote; test/node/docs-figures.test.ts
// checks that the docs hold what this file computes.

/** X's published pay-per-use prices used here, USD. */
export const X_PRICES = {
  /** "User: Read — $0.010 per resource". */
  userRead: 0.01,
} as const;

/** Where X publishes them, and when they were read. */
export const X_PRICE_SOURCE = "https://docs.x.com/x-api/getting-started/pricing";
export const X_PRICES_READ_ON = "2026-12-07";

/** One way to run the sign-in, and the profile call it makes at X per sign-in. */
export interface ProfileChoice {
  protocol: "OAuth 1.0a" | "OAuth 2.0";
  /** TWITTER_PROFILE_ENDPOINT's value, or what OAuth 2.0 always does. */
  profile: string;
  /** X's endpoint that serves the profile, or "none". */
  profileCall: string;
  /** Billed user reads per sign-in (a user's first that UTC day). */
  userReads: number;
}

export const PROFILE_CHOICES: readonly ProfileChoice[] = [
  { protocol: "OAuth 1.0a", profile: "auto (the default)", profileCall: "v1.1 `verify_credentials`, or `/2/users/me` where X refuses v1.1", userReads: 1 },
  { protocol: "OAuth 1.0a", profile: "verify_credentials", profileCall: "v1.1 `verify_credentials`", userReads: 1 },
  { protocol: "OAuth 1.0a", profile: "users_me", profileCall: "`/2/users/me`", userReads: 1 },
  { protocol: "OAuth 1.0a", profile: "none", profileCall: "none (the user from `oauth/access_token`)", userReads: 0 },
  { protocol: "OAuth 2.0", profile: "(always)", profileCall: "`/2/users/me` (X's OAuth 2.0 token answer names no user)", userReads: 1 },
];

/** The sign-ins a month the figures are for, as npm run bench:cost prices the Worker. */
export const SIGN_INS_PER_MONTH = 1_000_000;

/** USD X bills for one sign-in that is its user's first of the UTC day (a repeat that day: nothing more). */
export function xPerSignIn(choice: ProfileChoice): number {
  return choice.userReads * X_PRICES.userRead;
}

/**
 * USD X bills for `signIns` sign-ins, `firstOfDay` of them (a share, 0 to 1) their user's first
 * of that UTC day. Default 1: every sign-in a distinct user-day, X's highest bill.
 */
export function xPerMonth(choice: ProfileChoice, signIns = SIGN_INS_PER_MONTH, firstOfDay = 1): number {
  return signIns * firstOfDay * xPerSignIn(choice);
}

/** US dollars as the docs write them: $10,000.00, $0.010 (three decimals below a dollar, as X's table). */
export function usd(value: number): string {
  return value !== 0 && value < 1 ? `$${value.toFixed(3)}` : `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The Markdown block docs/x-app.md and docs/benchmarks.md quote (between generated-block markers). */
export function xShareMarkdown(): string {
  const rows = PROFILE_CHOICES.map(
    (choice) => `| ${choice.protocol} | ${choice.profile} | ${choice.profileCall} | ${choice.userReads} | ${usd(xPerSignIn(choice))} | ${usd(xPerMonth(choice))} |`,
  );
  return [
    `At X's published pay-per-use price (User: Read ${usd(X_PRICES.userRead)} per resource, [Pricing](${X_PRICE_SOURCE}), read ${X_PRICES_READ_ON}),`,
    `assuming every sign-in is its user's first of that UTC day (X's highest bill: a user's further sign-ins the same UTC day add nothing, X deduplicating reads "within a 24-hour UTC day window"):`,
    "",
    `| Protocol | Profile (\`TWITTER_PROFILE_ENDPOINT\`) | X's profile call per sign-in | Billed user reads | X per sign-in | X per ${SIGN_INS_PER_MONTH.toLocaleString("en-US")} sign-ins |`,
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
