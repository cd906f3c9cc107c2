// aws-jwt-verify (npm): JwtVerifier with the JWKS cached, verifySync.
// Usage: node aws-jwt-verify.mjs DIR  (DIR holds jwks.json, token.txt, expect.json)
// Prints {"us_per_decision": N}, or {"us_per_decision": null, "unsupported": why}
// for an algorithm it does not verify (PS256).
import { readFileSync } from "node:fs";
import { JwtVerifier } from "aws-jwt-verify";

const dir = process.argv[2];
const jwks = JSON.parse(readFileSync(`${dir}/jwks.json`, "utf8"));
const token = readFileSync(`${dir}/token.txt`, "utf8").trim();
const expect = JSON.parse(readFileSync(`${dir}/expect.json`, "utf8"));

const verifier = JwtVerifier.create({
  issuer: expect.issuer,
  audience: expect.audience,
  jwksUri: "https://issuer.test/.well-known/jwks.json",
});
verifier.cacheJwks(jwks);

const decide = () => {
  const payload = verifier.verifySync(token);
  if (payload.sub !== expect.sub) throw new Error("wrong sub");
};

try {
  decide();
} catch (error) {
  console.log(JSON.stringify({ us_per_decision: null, unsupported: error.message }));
  process.exit(0);
}
// Warm-up (JIT), then rounds of about 60 ms whatever the algorithm costs.
const timed = (iterations) => {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) decide();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
};
timed(500);
const iterations = Math.max(10, Math.min(2000, Math.round(60000 / timed(200))));
const rounds = [];
for (let round = 0; round < 7; round++) rounds.push(timed(iterations));
rounds.sort((a, b) => a - b);
console.log(JSON.stringify({ us_per_decision: rounds[3] }));
