// aws-jwt-verify (npm): JwtRsaVerifier with the JWKS cached, verifySync.
// Usage: node aws-jwt-verify.mjs DIR  (DIR holds jwks.json, token.txt, expect.json)
import { readFileSync } from "node:fs";
import { JwtRsaVerifier } from "aws-jwt-verify";

const dir = process.argv[2];
const jwks = JSON.parse(readFileSync(`${dir}/jwks.json`, "utf8"));
const token = readFileSync(`${dir}/token.txt`, "utf8").trim();
const expect = JSON.parse(readFileSync(`${dir}/expect.json`, "utf8"));

const verifier = JwtRsaVerifier.create({
  issuer: expect.issuer,
  audience: expect.audience,
  jwksUri: "https://issuer.test/.well-known/jwks.json",
});
verifier.cacheJwks(jwks);

const decide = () => {
  const payload = verifier.verifySync(token);
  if (payload.sub !== expect.sub) throw new Error("wrong sub");
};

for (let i = 0; i < 2000; i++) decide(); // warm-up (JIT)
const rounds = [];
for (let round = 0; round < 7; round++) {
  const iterations = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) decide();
  rounds.push(Number(process.hrtime.bigint() - started) / 1000 / iterations);
}
rounds.sort((a, b) => a - b);
console.log(JSON.stringify({ us_per_decision: rounds[3] }));
