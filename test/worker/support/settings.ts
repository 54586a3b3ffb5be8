// Settings the workerd tests run with, shared by vitest.config.ts (Node) and the tests (workerd).

/** The SESSION_SECRET of the tests; they sign cookies with it to forge expired ones. */
export const TEST_SESSION_SECRET = "test-session-secret-0123456789abcdef";
