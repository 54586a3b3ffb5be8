// The Worker: the sign-in app, served at the root, and the Durable Object class its AUTH_STORE binding may name.

import { createApp } from "./app.js";

export { AuthStore } from "./twitter-auth.js";

export default createApp();
