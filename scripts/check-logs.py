#!/usr/bin/env python3
"""The suite-wide log check, run by scripts/test.sh after every test.

Every log the tests captured (the compiled function's, the local gateway's)
is scanned: no line may carry a JWT, a JOSE segment, a signature or other
long base64url material, and every JSON decision line must have exactly the
schema documented in docs/operations.md ("Logs"), with a known reason code.

  python3 scripts/check-logs.py DIR     # check the archive
  python3 scripts/check-logs.py --self-test
"""
import json
import pathlib
import re
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
# base64url of '{"': the start of every JOSE header and JSON claims segment.
JOSE_SEGMENT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}")
# Signatures (43+ chars for EdDSA, 342 for RS256) and key material; no logged
# field (kid, ids, ARNs, URLs) is a base64url run this long.
LONG_BASE64URL = re.compile(r"[A-Za-z0-9_-]{64,}")
DECISION_FIELDS = {
    "message", "decision", "reason", "alg", "kid", "iss", "sub", "cached",
    "cold_start", "api_type", "connection_id", "request_id", "duration_us",
}
DECISIONS = {"allow", "deny", "unauthorized", "error"}


def reason_codes():
    """The reason codes of src/base/error.rs, plus `allowed`."""
    source = (ROOT / "src/base/error.rs").read_text()
    # One row per refusal in the `refusals!` table: `Variant => "code", Outcome, "message";`
    codes = set(re.findall(r'^\s*[A-Z]\w* => "([a-z_]+)", [A-Z]\w*,', source, re.M))
    assert len(codes) >= 20, codes
    return codes | {"allowed"}


def check_line(line, reasons):
    """The problems of one log line (an empty list when it is clean)."""
    problems = []
    if JOSE_SEGMENT.search(line):
        problems.append("a JOSE segment (token header or claims)")
    if LONG_BASE64URL.search(line):
        problems.append("long base64url material (a signature or key)")
    try:
        record = json.loads(line)
    except ValueError:
        return problems
    fields = record.get("fields") if isinstance(record, dict) else None
    if isinstance(fields, dict) and fields.get("message") == "decision":
        if set(fields) != DECISION_FIELDS:
            problems.append(f"decision fields {sorted(set(fields) ^ DECISION_FIELDS)} differ from the schema")
        if fields.get("decision") not in DECISIONS:
            problems.append(f"unknown decision {fields.get('decision')!r}")
        if fields.get("reason") not in reasons:
            problems.append(f"unknown reason {fields.get('reason')!r}")
        if not isinstance(fields.get("duration_us"), int):
            problems.append("duration_us is not an integer")
        if not all(isinstance(fields.get(name), bool) for name in ("cached", "cold_start")):
            problems.append("cached/cold_start are not booleans")
        if fields.get("decision") != "allow" and fields.get("sub"):
            problems.append("sub logged on a refusal")
    return problems


def is_decision(line):
    """A decision line in JSON or in text format."""
    try:
        record = json.loads(line)
    except ValueError:
        return " decision decision=" in line
    return isinstance(record, dict) and (record.get("fields") or {}).get("message") == "decision"


def check_dir(directory, minimum_decisions=10, quiet=False):
    reasons = reason_codes()
    files = sorted(pathlib.Path(directory).glob("*.log"))
    passed = failed = decisions = 0
    for path in files:
        bad = []
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if is_decision(line):
                decisions += 1
            bad += [f"{path.name}:{number}: {problem}" for problem in check_line(line, reasons)]
        if bad:
            failed += 1
            if not quiet:
                print("\n".join(bad[:20]))
        else:
            passed += 1
    if decisions < minimum_decisions:
        failed += 1
        if not quiet:
            print(f"only {decisions} decision lines in {len(files)} files under {directory}: the check would prove nothing")
    if not quiet:
        print(f"checked {len(files)} log files, {decisions} decision lines")
    return passed, failed


def self_test():
    reasons = reason_codes()
    good = {"level": "INFO", "fields": {
        "message": "decision", "decision": "allow", "reason": "allowed", "alg": "RS256",
        "kid": "k1", "iss": "https://issuer", "sub": "user", "cached": False,
        "cold_start": True, "api_type": "websocket", "connection_id": "Dzl8bdcnDoECJZQ=", "request_id": "r",
        "duration_us": 40}}
    assert check_line(json.dumps(good), reasons) == []
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0." + "A" * 342
    assert check_line(f"token={token}", reasons)
    assert check_line("sig=" + "Zm9v" * 30, reasons)
    leaky = json.loads(json.dumps(good))
    leaky["fields"]["token"] = "x"
    assert check_line(json.dumps(leaky), reasons)
    denied = json.loads(json.dumps(good))
    denied["fields"].update(decision="unauthorized", reason="expired")
    assert check_line(json.dumps(denied), reasons), "sub on a refusal"
    with tempfile.TemporaryDirectory() as directory:
        (pathlib.Path(directory) / "a.log").write_text(json.dumps(good) + "\n")
        assert check_dir(directory, minimum_decisions=1, quiet=True) == (1, 0)
        assert check_dir(directory, minimum_decisions=2, quiet=True) == (1, 1)
        (pathlib.Path(directory) / "b.log").write_text(f"Bearer {token}\n")
        assert check_dir(directory, minimum_decisions=1, quiet=True) == (1, 1)
    print("self-test: ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    self_test()
    passed, failed = check_dir(sys.argv[1])
    print(f"logs: {passed} passed, {failed} failed, 0 skipped")
    sys.exit(1 if failed else 0)
