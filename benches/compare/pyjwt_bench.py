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

kid = jwt.get_unverified_header(token)["kid"]
key = next(k for k in jwks.keys if k.key_id == kid).key


def decide():
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=expect["audience"],
        issuer=expect["issuer"],
        options={"require": ["exp", "iss", "aud"]},
    )
    if claims["sub"] != expect["sub"]:
        raise ValueError("wrong sub")


for _ in range(500):
    decide()
rounds = []
for _ in range(7):
    iterations = 1000
    started = time.perf_counter()
    for _ in range(iterations):
        decide()
    rounds.append((time.perf_counter() - started) * 1e6 / iterations)
rounds.sort()
print(json.dumps({"us_per_decision": rounds[3]}))
