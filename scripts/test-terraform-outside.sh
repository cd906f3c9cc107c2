#!/usr/bin/env bash
# The Terraform modules used from a copy outside the repository, as someone
# who downloaded a release would: terraform/ copied to a temporary folder,
# a root module there calling the authorizer module and the session guard
# submodule with the release's zips (checked against SHA256SUMS first, as
# the README says), planned offline. Then the same root without a package
# must fail at plan, saying how to get one.
#
# The "release" is made here with the names scripts/release.sh gives
# (ws-jwt-authorizer-VERSION-ARCH.zip, session-guard-VERSION-ARCH.zip,
# SHA256SUMS), each holding a stand-in bootstrap: a plan reads the zip's
# hash, not its program. The provider's endpoints point at a closed port of
# 127.0.0.1, so nothing leaves the machine (a plan of new resources calls no
# AWS API).
#
# Usage: test-terraform-outside.sh PLUGIN_DIR   (TF_CLI_CONFIG_FILE as set
# by scripts/test-terraform.sh). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

plugin_dir="$1"
outside="$(mktemp -d /tmp/ws-jwt-authorizer-outside.XXXXXX)"
trap 'rm -rf "$outside"' EXIT
unset TF_DATA_DIR

ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; exit 1; }

# The modules, copied whole, and nothing else of the repository.
cp -r terraform "$outside/terraform"
case "$(realpath "$outside")" in
  "$(realpath .)"/*) fail "the copy must be outside the repository" ;;
esac

# The release, as downloaded.
version=0.0.0-outside
release="$outside/release"
mkdir -p "$release"
python3 - "$release" "$version" <<'PY'
import pathlib, sys, zipfile
release, version = pathlib.Path(sys.argv[1]), sys.argv[2]
for package in ("ws-jwt-authorizer", "session-guard"):
    for arch in ("arm64", "x86_64"):
        with zipfile.ZipFile(release / f"{package}-{version}-{arch}.zip", "w") as archive:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            archive.writestr(info, f"#!/bin/sh\necho 'stand-in {package} {arch}'\n")
PY
(cd "$release" && sha256sum ./*.zip | sed 's# \./# #' > SHA256SUMS)
authorizer_zip="$release/ws-jwt-authorizer-$version-arm64.zip"
guard_zip="$release/session-guard-$version-arm64.zip"

# Checked as the README says; a zip changed after the release is refused.
(cd "$release" && sha256sum --check --ignore-missing --quiet SHA256SUMS) || fail "the release's zips match SHA256SUMS"
ok "the release's zips match SHA256SUMS (sha256sum --check --ignore-missing)"
cp "$authorizer_zip" "$outside/original.zip"
printf 'tampered' >> "$authorizer_zip"
if (cd "$release" && sha256sum --check --ignore-missing --quiet SHA256SUMS >/dev/null 2>&1); then
  fail "a changed zip must fail the check"
fi
ok "a changed zip fails the check"
mv "$outside/original.zip" "$authorizer_zip"

root="$outside/root"
mkdir -p "$root"
cat > "$root/main.tf" <<'TF'
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigateway   = "http://127.0.0.1:9"
    apigatewayv2 = "http://127.0.0.1:9"
    cloudwatch   = "http://127.0.0.1:9"
    iam          = "http://127.0.0.1:9"
    lambda       = "http://127.0.0.1:9"
    logs         = "http://127.0.0.1:9"
    scheduler    = "http://127.0.0.1:9"
    sqs          = "http://127.0.0.1:9"
    sts          = "http://127.0.0.1:9"
  }
}

variable "package_path" {
  type    = string
  default = null
}

variable "session_guard_package_path" {
  type    = string
  default = null
}

module "authorizer" {
  source = "../terraform"

  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = var.package_path
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  issuers              = ["https://idp.example.com"]
  authorized_audiences = ["chat-api"]
  session_guard        = module.session_guard.monitoring
}

module "session_guard" {
  source = "../terraform/modules/session-guard"

  api_execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  stage_name        = "prod"
  package_path      = var.session_guard_package_path
}
TF

cd "$root"
terraform init -backend=false -plugin-dir="$plugin_dir" -input=false -no-color >/dev/null
ok "terraform init of a root module outside the repository"

terraform plan -input=false -no-color -out=release.tfplan \
  -var "package_path=$authorizer_zip" -var "session_guard_package_path=$guard_zip" > plan.log 2>&1 ||
  { cat plan.log; fail "the plan with the release's zips"; }
terraform show -json release.tfplan > plan.json
python3 - plan.json "$authorizer_zip" "$guard_zip" <<'PY' || exit 1
import base64, hashlib, json, sys
plan = json.load(open(sys.argv[1]))
functions = {
    change["address"]: change["change"]["after"]
    for change in plan["resource_changes"]
    if change["type"] == "aws_lambda_function"
}
for address, path in (
    ("module.authorizer.aws_lambda_function.this", sys.argv[2]),
    ("module.session_guard.aws_lambda_function.guard", sys.argv[3]),
):
    after = functions[address]
    digest = base64.b64encode(hashlib.sha256(open(path, "rb").read()).digest()).decode()
    if after["filename"] != path or after["source_code_hash"] != digest or after["package_type"] != "Zip":
        print(f"FAILED: {address} deploys {after['filename']} ({after['source_code_hash']}), not {path} ({digest})")
        sys.exit(1)
    print(f"ok: {address} deploys the release's zip, its hash the file's")
dashboards = [c for c in plan["resource_changes"] if c["type"] == "aws_cloudwatch_dashboard"]
body = json.loads(dashboards[0]["change"]["after"].get("dashboard_body") or "{}") if len(dashboards) == 1 else {}
titles = [widget["properties"].get("title") for widget in body.get("widgets", [])]
if "Session guard: connections scheduled, ended and failed" not in titles:
    print(f"FAILED: one dashboard, known at plan, with the guard (widgets: {titles})")
    sys.exit(1)
print("ok: the dashboard, with the guard")
PY

expect_refusal() {
  local what="$1" variable="$2" module_message="$3"; shift 3
  if terraform plan -input=false -no-color "$@" > refused.log 2>&1; then
    cat refused.log
    fail "$what: the plan must fail"
  fi
  # Terraform wraps long messages: compare the words.
  local words
  words="$(tr -s ' \n' '  ' < refused.log)"
  for expected in "$module_message" "$variable" "scripts/package-lambda.sh" "sha256sum --check --ignore-missing SHA256SUMS"; do
    case "$words" in
      *"$expected"*) ;;
      *) cat refused.log; fail "$what: the message must say \"$expected\"" ;;
    esac
  done
  ok "$what: the plan fails, saying how to get the package"
}

expect_refusal "without the authorizer's package" "var.package_path" \
  "The authorizer's package is missing" -var "session_guard_package_path=$guard_zip"
expect_refusal "without the guard's package" "var.package_path" \
  "The session guard's package is missing" -var "package_path=$authorizer_zip"
expect_refusal "with a package path that names no file" "var.package_path" \
  "package_path names no file" -var "package_path=$release/ws-jwt-authorizer-9.9.9-arm64.zip" -var "session_guard_package_path=$guard_zip"
