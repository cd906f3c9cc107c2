// A certified OpenID Provider (node-oidc-provider) on 127.0.0.1 for the
// end-to-end tests: client_credentials grant, JWT access tokens through
// resource indicators.
//
//   node provider.mjs PORT KEYS_FILE
//
// KEYS_FILE is a private JWKS; the first key of each algorithm signs, all
// are published at /jwks. Client: ws-test-client / ws-test-secret. The
// resource (the token's audience) is urn:ws-api unless the request names
// one; a resource ending in ":es256" gets ES256 tokens, any other RS256.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [port, keysFile] = process.argv.slice(2);
const jwks = JSON.parse(readFileSync(keysFile, "utf8"));
// The resource picks the algorithm, so one provider issues both kinds.
const signingAlg = (resource) => (resource.endsWith(":es256") ? "ES256" : "RS256");

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: "ws-test-client",
      client_secret: "ws-test-secret",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
    },
  ],
  jwks,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "urn:ws-api",
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        audience: resource,
        scope: "chat:read chat:write",
        accessTokenTTL: 300,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: signingAlg(resource) } },
      }),
    },
  },
});
provider.proxy = false;
const server = provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
