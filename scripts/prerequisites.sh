#!/usr/bin/env bash
# What the README's two commands need before cargo can start, checked at
# once: cargo (rustup), a C compiler for AWS-LC, and, for the test suite,
# Node.js 20+ (npm) and Python 3 with venv. With apt and root, a missing
# Debian package is installed; otherwise the script stops, naming what to
# install. (No OpenSSL, pkg-config, perl or cmake: AWS-LC builds with cc.)
#
#   bash scripts/prerequisites.sh          # the build's and the tests' needs
#   bash scripts/prerequisites.sh build    # the build's only
set -uo pipefail

scope="${1:-test}"
missing=()

# apt-get install, when this machine allows it (Debian or Ubuntu, as root).
apt_install() {
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] || return 1
  echo "Installing $* with apt-get"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null)
}

# need COMMAND DEBIAN_PACKAGE WHAT: the command, or its package installed.
need() {
  local command=$1 package=$2 what=$3
  command -v "$command" >/dev/null 2>&1 && return 0
  apt_install "$package" && command -v "$command" >/dev/null 2>&1 && return 0
  missing+=("$what")
}

command -v cargo >/dev/null 2>&1 ||
  missing+=("cargo: install Rust with rustup (https://rustup.rs), then open a new shell")
if [ -z "${CC:-}" ] && ! command -v cc >/dev/null 2>&1; then
  apt_install build-essential ||
    missing+=("a C compiler (cc), for AWS-LC: apt install build-essential, dnf install gcc, or xcode-select --install")
fi

if [ "$scope" = test ]; then
  need python3 python3 "Python 3: apt install python3 python3-venv, or dnf install python3"
  if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv ||
      missing+=("Python's venv module: apt install python3-venv")
  fi
  need node nodejs "Node.js 20 or newer, with npm (https://nodejs.org, or apt install nodejs npm)"
  need npm npm "npm (apt install npm, or Node.js from https://nodejs.org)"
  if command -v node >/dev/null 2>&1; then
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    [ "$major" -ge 20 ] || missing+=("Node.js 20 or newer (found $(node --version))")
  fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Missing prerequisites:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
