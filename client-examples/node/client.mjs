#!/usr/bin/env node
// Connects to a WebSocket API protected by ws-jwt-authorizer, sends whoami,
// prints the answer, and stays connected: after a drop it reconnects with
// backoff, fetching a fresh token first when its own has expired.
//
//   WS_URL=wss://…/prod TOKEN=eyJ… node client.mjs
//   node client.mjs --url ws://127.0.0.1:8080/local --token-url http://127.0.0.1:8081/token
//   options: --url, --token, --token-url, --header (send the token in the
//   Authorization header instead of the query string), --once, --max-connections N
import WebSocket from "ws";

function options() {
  const args = process.argv.slice(2);
  const value = (name) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
  return {
    url: value("--url") ?? process.env.WS_URL,
    token: value("--token") ?? process.env.TOKEN,
    tokenUrl: value("--token-url") ?? process.env.TOKEN_URL,
    header: args.includes("--header"),
    maxConnections: args.includes("--once") ? 1 : Number(value("--max-connections") ?? Infinity),
  };
}

const STATUS_MEANING = {
  401: "missing, invalid or expired token",
  403: "the token is valid but not allowed to connect to this API",
  500: "the authorizer failed (is the identity provider's key set reachable?)",
};

function expiry(token) {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url")).exp ?? null;
  } catch {
    return null;
  }
}

async function freshToken(config) {
  const response = await fetch(config.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub: "node-client" }),
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return (await response.json()).access_token;
}

async function tokenFor(config) {
  const exp = config.token ? expiry(config.token) : null;
  const expired = exp !== null && exp * 1000 <= Date.now();
  if (config.tokenUrl && (!config.token || expired)) {
    config.token = await freshToken(config);
    console.error("fetched a fresh token");
  }
  return config.token ?? "";
}

// Resolves "dropped" (reconnect), "done" or "refused".
function connectOnce(config, url, token, state) {
  return new Promise((resolve) => {
    const target = config.header ? url : `${url}?authorization=${encodeURIComponent(token)}`;
    const socket = new WebSocket(target, config.header ? { headers: { Authorization: `Bearer ${token}` } } : {});
    socket.on("unexpected-response", (_request, response) => {
      const status = response.statusCode;
      console.error(`refused: ${status} ${response.statusMessage} (${STATUS_MEANING[status] ?? "unexpected status"})`);
      socket.terminate();
      resolve("refused");
    });
    socket.on("open", () => socket.send("whoami"));
    socket.on("message", (data) => {
      console.log(data.toString());
      state.connections += 1;
      if (state.connections >= config.maxConnections) {
        socket.close(1000, "done");
        resolve("done");
      }
    });
    socket.on("close", () => resolve("dropped"));
    socket.on("error", (error) => console.error(`connection error: ${error.message}`));
  });
}

async function main() {
  const config = options();
  if (!config.url) {
    console.error("set WS_URL (or --url) to the WebSocket API's URL");
    process.exit(2);
  }
  const state = { connections: 0 };
  let delay = 1000;
  for (;;) {
    const outcome = await connectOnce(config, config.url, await tokenFor(config), state);
    if (outcome === "done") return 0;
    if (outcome === "refused" && !(config.tokenUrl && expiry(config.token) * 1000 <= Date.now())) return 1;
    console.error(`reconnecting in ${delay / 1000} s`);
    await new Promise((done) => setTimeout(done, delay));
    delay = Math.min(delay * 2, 30000);
  }
}

process.exitCode = await main();
