#!/usr/bin/env bash
# Offline infrastructure tests: terraform fmt, init (from the local provider
# mirror), validate and test (mocked AWS provider) for the module and each
# example (websocket-api, http-api, rest-api), the modules used from a copy
# outside the repository with a release's zips
# (scripts/test-terraform-outside.sh), a real apply/update/plan/destroy of
# each example against moto (scripts/moto-cycle.py), then checkov. Prints
# "terraform: N passed, N failed, N skipped".
#
# Without terraform or the provider mirror these checks are SKIPPED, loudly.
set -uo pipefail
cd "$(dirname "$0")/.."

plugin_dir="${TF_PLUGIN_DIR:-/opt/tf-plugins}"
passed=0 failed=0 skipped=0

step() {
  local name="$1"; shift
  echo "--- terraform: $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAILED: $name"
    failed=$((failed + 1))
  fi
}

if ! command -v terraform >/dev/null 2>&1 || [ ! -d "$plugin_dir/registry.terraform.io/hashicorp/aws" ]; then
  cat <<MSG
================================================================
SKIPPED: Terraform tests. They need the terraform binary and an
offline hashicorp/aws provider mirror in $plugin_dir
(set TF_PLUGIN_DIR to use another). Nothing was checked.
================================================================
MSG
  echo "terraform: 0 passed, 0 failed, 11 skipped"
  exit 0
fi

# Keep Terraform's working files out of the source tree, and quiet the
# warning about a missing ~/.terraformrc.
work="$PWD/target/terraform"
mkdir -p "$work"
export TF_CLI_CONFIG_FILE="$work/terraformrc"
: > "$TF_CLI_CONFIG_FILE"
export TF_IN_AUTOMATION=1

# The module's tests need a package file to hash; the real one comes from
# scripts/package-lambda.sh.
python3 - <<'PY'
import zipfile, pathlib
path = pathlib.Path("terraform/tests/fixtures/bootstrap.zip")
path.parent.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(path, "w") as archive:
    archive.writestr("bootstrap", "#!/bin/sh\necho 'stand-in package for terraform test'\n")
PY

check_dir() {
  local dir="$1" name="$2"
  export TF_DATA_DIR="$work/$name"
  (cd "$dir" &&
    terraform init -backend=false -plugin-dir="$plugin_dir" -input=false -no-color >/dev/null &&
    terraform validate -no-color &&
    terraform test -no-color)
}

step "fmt -check -recursive" terraform fmt -check -recursive -diff terraform/
step "module: init, validate, test" check_dir terraform module
step "session-guard submodule: init, validate, test" check_dir terraform/modules/session-guard session-guard
step "websocket-api example: init, validate, test" check_dir terraform/examples/websocket-api example
step "http-api example: init, validate, test" check_dir terraform/examples/http-api http-example
step "rest-api example: init, validate, test" check_dir terraform/examples/rest-api rest-example

# The modules from a copy outside the repository, as a release's user has
# them: a plan with the release's zips (checked against SHA256SUMS), and a
# plan without a package that fails saying how to get one.
unset TF_DATA_DIR
step "outside the repository: plans with a release's zips, fails clearly without" \
  bash scripts/test-terraform-outside.sh "$plugin_dir"

# A real apply, update, plan and destroy of each example against moto's AWS
# API emulator on 127.0.0.1 (installed pinned from PyPI into target/tools/),
# each on a fresh moto of its own.
moto_venv="target/tools/moto"
bash scripts/install-moto.sh
for example in websocket-api http-api rest-api; do
  step "$example example: apply, update, plan, destroy against moto" \
    "$moto_venv/bin/python" scripts/moto-cycle.py "$moto_venv/bin/python" "$plugin_dir" "$work/moto-$example" "$example"
done

checkov_venv="target/tools/checkov"
if [ ! -x "$checkov_venv/bin/checkov" ]; then
  echo "--- installing checkov from PyPI into $checkov_venv"
  python3 -m venv "$checkov_venv" && "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check checkov
fi
step "checkov" "$checkov_venv/bin/checkov" -d terraform --framework terraform --skip-download --quiet --compact

echo "terraform: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
