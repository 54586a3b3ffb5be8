// The Worker: the sign-in app, served at the root.

import { createApp } from "./app.js";

export default createApp();
