// The deployed Worker's size budget, held by test/node/bundle-size.test.ts and printed beside the figures by npm run bench:bundle.

/**
 * The budget for the whole service (flow, sessions in either store with the devices list, pages,
 * middleware, revocation, gateway, and the profile from X API v2 for apps on X's Free and
 * pay-per-use access), gzipped: 30 KiB, plus 1.25 KiB for the gateway's WebSockets and the
 * review's leftovers (issue 24: 29412 to 30667 bytes), so the headroom stays as it was.
 */
export const BUNDLE_BUDGET_BYTES = 30 * 1024 + 1280;
