"""PyJWT with cryptography: the key parsed once, then jwt.decode per decision.

Usage: python pyjwt_bench.py DIR  (DIR holds jwks.json, token.txt, expect.json)
"""
import json
import sys
import time

import jwt

directory = sys.argv[1]
with open(f"{directory}/jwks.json") as f:
    jwks = jwt.PyJWKSet.from_dict(json.load(f))
with open(f"{directory}/token.txt") as f:
    token = f.read().strip()
with open(f"{directory}/expect.json") as f:
    expect = json.load(f)

header = jwt.get_unverified_header(token)
key = next(k for k in jwks.keys if k.key_id == header["kid"]).key


def decide():
    claims = jwt.decode(
        token,
        key,
        algorithms=[header["alg"]],
        audience=expect["audience"],
        issuer=expect["issuer"],
        options={"require": ["exp", "iss", "aud"]},
    )
    if claims["sub"] != expect["sub"]:
        raise ValueError("wrong sub")


def timed(iterations):
    started = time.perf_counter()
    for _ in range(iterations):
        decide()
    return (time.perf_counter() - started) * 1e6 / iterations


# Warm-up, then rounds of about 100 ms whatever the algorithm costs.
iterations = max(10, min(1000, round(100_000 / timed(100))))
rounds = sorted(timed(iterations) for _ in range(7))
print(json.dumps({"us_per_decision": rounds[3]}))
