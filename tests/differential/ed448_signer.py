"""Ed448 signatures for the differential corpus (tests/vectors/differential.rs).

AWS-LC, the one crypto library of the authorizer and its tests, does not
implement Ed448, and the authorizer refuses Ed448 keys; the peers still verify
Ed448, so the corpus keeps its Ed448 tokens, signed here with `cryptography`
(PyJWT's backend, installed in the suite's venv).

Reads one JSON line per request, {"seed": hex of 57 bytes, "message": hex},
and answers each with one line, {"public": hex of 57 bytes, "signature": hex
of 114 bytes} (RFC 8032 §5.2: the public key and the pure Ed448 signature).
"""

import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def main():
    for line in sys.stdin:
        request = json.loads(line)
        key = Ed448PrivateKey.from_private_bytes(bytes.fromhex(request["seed"]))
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        signature = key.sign(bytes.fromhex(request["message"]))
        sys.stdout.write(json.dumps({"public": public.hex(), "signature": signature.hex()}) + "\n")
        sys.stdout.flush()


main()
