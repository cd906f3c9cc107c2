#!/usr/bin/env bash
# The perl that openssl-src runs OpenSSL's Configure with, when the `lambda`
# feature builds OpenSSL from source (.cargo/config.toml names it in
# OPENSSL_SRC_PERL; openssl-src takes no Configure options otherwise). It
# runs $PERL (else perl) and, for Configure, adds enable-ec_nistp_64_gcc_128,
# as Debian, Fedora and Amazon Linux configure their OpenSSL: the 64-bit
# constant-time code for the NIST curves. Without it OpenSSL falls back to
# its generic code, and ES512 verification in the Lambda package was 3.4
# times slower than with the system's OpenSSL (BENCHMARKS.md, "Signature
# backends"). The code needs a 128-bit integer type and a little-endian
# 64-bit target, which Cargo describes to the build script that runs this.
#
# .cargo/config.toml is read by cargo run inside this repository (as
# scripts/package-lambda.sh does), not by `cargo install` or a build from
# elsewhere; scripts/test-package.sh checks that the package has the code.
perl="${PERL:-perl}"
if [ "${1:-}" = "./Configure" ] && [ "${CARGO_CFG_TARGET_POINTER_WIDTH:-64}" = 64 ] \
  && [ "${CARGO_CFG_TARGET_ENDIAN:-little}" = little ] && [ "${CARGO_CFG_TARGET_ENV:-}" != msvc ]; then
  exec "$perl" "$@" enable-ec_nistp_64_gcc_128
fi
exec "$perl" "$@"
