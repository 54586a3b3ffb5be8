// The deployed Worker's size budget, held by test/node/bundle-size.test.ts and printed beside the figures by npm run bench:bundle.

/**
 * The budget for the whole service, gzipped: 42 KiB. It was 30 KiB for the flow, sessions in
 * either store with the devices list, pages, middleware, revocation, the gateway and the profile
 * from X API v2 (29,412 bytes). The 2026-12-07 round added about 11 KiB (39,943 bytes measured
 * at the merge, 40,504 after the review fixes): OAuth 2.0 beside 1.0a with refresh, revocation
 * and the move from 1.0a (about 5.7 KiB), the gateway's signed assertion, JWKS and forward-auth check (about 1.9 KiB),
 * WebSockets and the gateway review's leftovers (about 1.3 KiB), the held-callback refusal,
 * devices list and /64-/48 limits (about 1.4 KiB), `TWITTER_PROFILE_ENDPOINT=none` and the first
 * hour's messages (about 0.6 KiB). The 2 KiB above that is room for fixes, not for a feature:
 * a feature raises the budget in its own commit and says by how much.
 */
export const BUNDLE_BUDGET_BYTES = 42 * 1024;
