"""KMS fixtures for the authorizer's end-to-end test against moto
(tests/binary/kms.rs, run by scripts/test-kms.sh), with boto3 from moto's
environment: an AWS client of its own, independent of the authorizer's.

Reads one JSON request on stdin:

    {"endpoint": URL, "region": REGION,
     "keys": {NAME: KEY_SPEC, ...},
     "tokens": [{"key": NAME, "alg": "ES512", "kid": true, "claims": {...}}, ...]}

creates each key (CreateKey, SIGN_VERIFY), signs each token with KMS Sign
(MessageType RAW: KMS hashes the JWS signing input as the algorithm says;
an ECDSA signature, DER from KMS, becomes JOSE's fixed-size r || s), makes
a role that may call kms:GetPublicKey and assumes it (temporary credentials
with a session token, as Lambda gives a function), and prints:

    {"keys": {NAME: {"id": ..., "arn": ...}}, "tokens": [...],
     "credentials": {"access_key_id": ..., "secret_access_key": ..., "session_token": ...}}
"""

import base64
import json
import sys

import boto3
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# JWS algorithm: KMS signing algorithm, and for ECDSA the size of r and s.
ALGORITHMS = {
    "ES256": ("ECDSA_SHA_256", 32),
    "ES384": ("ECDSA_SHA_384", 48),
    "ES512": ("ECDSA_SHA_512", 66),
    "RS256": ("RSASSA_PKCS1_V1_5_SHA_256", None),
    "RS384": ("RSASSA_PKCS1_V1_5_SHA_384", None),
    "RS512": ("RSASSA_PKCS1_V1_5_SHA_512", None),
    "PS256": ("RSASSA_PSS_SHA_256", None),
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jose_signature(der, size):
    """A DER ECDSA-Sig-Value as JWS wants it (RFC 7518 3.4): r and s, each
    big-endian and zero-padded to the curve's size (66 bytes for P-521)."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def main():
    request = json.load(sys.stdin)
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=request["region"],
    )
    endpoint = request["endpoint"]
    kms = session.client("kms", endpoint_url=endpoint)
    keys = {}
    for name, spec in request["keys"].items():
        metadata = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY", Description=name)["KeyMetadata"]
        keys[name] = {"id": metadata["KeyId"], "arn": metadata["Arn"]}

    tokens = []
    for wanted in request["tokens"]:
        key = keys[wanted["key"]]
        kms_algorithm, size = ALGORITHMS[wanted["alg"]]
        header = {"alg": wanted["alg"], "typ": "JWT"}
        if wanted.get("kid"):
            header["kid"] = key["id"]
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(wanted["claims"], separators=(",", ":")).encode())
        )
        signature = kms.sign(
            KeyId=key["id"],
            Message=signing_input.encode(),
            MessageType="RAW",
            SigningAlgorithm=kms_algorithm,
        )["Signature"]
        if size is not None:
            signature = jose_signature(signature, size)
        tokens.append(signing_input + "." + b64url(signature))

    iam = session.client("iam", endpoint_url=endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="authorizer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:GetPublicKey", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="authorizer", PolicyName="get-public-key", PolicyDocument=json.dumps(allow))
    sts = session.client("sts", endpoint_url=endpoint)
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="authorizer")["Credentials"]

    json.dump(
        {
            "keys": keys,
            "tokens": tokens,
            "credentials": {
                "access_key_id": credentials["AccessKeyId"],
                "secret_access_key": credentials["SecretAccessKey"],
                "session_token": credentials["SessionToken"],
            },
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
