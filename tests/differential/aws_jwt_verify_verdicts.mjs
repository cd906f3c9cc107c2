// aws-jwt-verify's verdict on each token of a differential corpus
// (tests/vectors/differential.rs): JwtVerifier with the key set cached (as
// `cacheJwks` documents for a verifier without network access) and the
// suite's configuration: issuer, audience, no grace seconds, exp required
// (aws-jwt-verify checks exp only when present: customJwtCheck requires it).
// Prints one JSON line per token, in order: {"accepted", "why"}.
import { readFileSync } from "node:fs";
import { JwtVerifier } from "aws-jwt-verify";

const corpus = JSON.parse(readFileSync(process.argv[2], "utf8"));
const verifier = JwtVerifier.create({
  issuer: corpus.issuer,
  audience: corpus.audience,
  jwksUri: "http://127.0.0.1:9/unused",
  graceSeconds: 0,
  customJwtCheck: ({ payload }) => {
    if (payload.exp === undefined) throw new Error("exp is required");
  },
});
verifier.cacheJwks(corpus.jwks);
const lines = corpus.tokens.map((token) => {
  try {
    verifier.verifySync(token);
    return { accepted: true, why: "" };
  } catch (error) {
    return { accepted: false, why: error?.constructor?.name ?? String(error) };
  }
});
process.stdout.write(lines.map((line) => JSON.stringify(line) + "\n").join(""));
