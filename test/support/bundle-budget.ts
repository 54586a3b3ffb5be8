// The deployed Worker's size budget, held by test/node/bundle-size.test.ts and printed beside the figures by npm run bench:bundle.

/** The budget for the whole service (flow, session, pages, middleware, revocation, gateway), gzipped: 24 KiB. */
export const BUNDLE_BUDGET_BYTES = 24 * 1024;
