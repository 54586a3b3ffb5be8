// A stranger's Worker: its own pages, with the sign-in mounted under /auth/twitter from the npm package.
import { Hono } from "hono";
import { type TwitterAuthEnv, type TwitterProfile, twitterAuth, twitterSession } from "hono-sign-in-with-twitter";
import { percentEncode } from "hono-sign-in-with-twitter/oauth1";

const app = new Hono<TwitterAuthEnv>();

// GET /auth/twitter/login, /auth/twitter/auth (the callback), /auth/twitter/me, POST /auth/twitter/logout
app.route("/auth/twitter", twitterAuth({ afterLogout: "/goodbye" }));

app.use("/account/*", twitterSession());
app.get("/account/profile", (c) => {
  const user: TwitterProfile | null = c.var.twitterUser;
  if (!user) return c.redirect("/auth/twitter/login?next=/account/profile");
  return c.text(`Hello @${user.screenName}`);
});
app.get("/account/twitter", async (c) => {
  if (!c.var.twitterApi) return c.json({ error: "sign in first" }, 401);
  const response = await c.var.twitterApi.get("account/verify_credentials.json", { skip_status: "true" });
  const profile = await response.json<{ screen_name: string }>();
  return c.json({ status: response.status, screenName: profile.screen_name });
});
// The bare RFC 5849 client is importable on its own.
app.get("/encode/:text", (c) => c.text(percentEncode(c.req.param("text"))));
app.get("/goodbye", (c) => c.text("Signed out"));

export default app;
// The package's Durable Object class, for a wrangler.toml that binds AUTH_STORE (package.test.ts runs it both ways).
export { AuthStore } from "hono-sign-in-with-twitter";
