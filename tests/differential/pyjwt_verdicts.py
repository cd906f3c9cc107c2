"""PyJWT's verdict on each token of a differential corpus (tests/vectors/differential.rs).

Configured as its documentation shows for a key set URL (PyJWKClient picks the
key by kid, jwt.decode verifies), with the key set given inline instead of
fetched, and the suite's configuration: issuer, audience, every algorithm PyJWT
supports, no leeway, exp required. Prints one JSON line per token, in order:
{"accepted": bool, "why": the exception's class}.
"""

import json
import sys
import warnings

import jwt
from jwt import PyJWKClient

# PyJWT verifies with RSA keys under 2048 bits and warns; the verdict is what counts.
warnings.simplefilter("ignore")

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class InlineJWKClient(PyJWKClient):
    """PyJWKClient with the key set given, not fetched: its own key selection."""

    def __init__(self, jwks):
        super().__init__("http://127.0.0.1:9/unused")
        self.inline = jwks

    def fetch_data(self):
        return self.inline


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        corpus = json.load(file)
    client = InlineJWKClient(corpus["jwks"])
    out = []
    for token in corpus["tokens"]:
        try:
            key = client.get_signing_key_from_jwt(token)
            jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=corpus["audience"],
                issuer=corpus["issuer"],
                leeway=0,
                options={"require": ["exp"]},
            )
            out.append({"accepted": True, "why": ""})
        except Exception as error:  # every failure is a refusal
            out.append({"accepted": False, "why": type(error).__name__})
    sys.stdout.write("".join(json.dumps(line) + "\n" for line in out))


main()
