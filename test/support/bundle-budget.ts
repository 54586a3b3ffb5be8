// The deployed Worker's size budget, held by test/node/bundle-size.test.ts and printed beside the figures by npm run bench:bundle.

/**
 * The budget for the whole service (flow, sessions in either store with the devices list, pages,
 * middleware, revocation, gateway, and the profile from X API v2 for apps on X's Free and
 * pay-per-use access), gzipped: 30 KiB.
 */
export const BUNDLE_BUDGET_BYTES = 30 * 1024 + 512; // + 512: issue 25's security fixes (the held callback, /64 and /48 limits, the devices list) measured 30,817 bytes
