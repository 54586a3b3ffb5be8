// The deployed Worker's size budget, held by test/node/bundle-size.test.ts and printed beside the figures by npm run bench:bundle.

/**
 * The budget for the whole service (flow, sessions in either store with the devices list, pages,
 * middleware, revocation, gateway, and the profile from X API v2 for apps on X's Free and
 * pay-per-use access), gzipped: 30 KiB, and 6 KiB for OAuth 2.0 (the client of src/oauth2, its
 * sign-in, refresh with its single flight, revocation and the move from 1.0a: 5,709 bytes
 * measured, 29,415 before and 35,124 after).
 */
export const BUNDLE_BUDGET_BYTES = (30 + 6) * 1024;
