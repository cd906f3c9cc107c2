#!/usr/bin/env bash
# The perl that openssl-src runs OpenSSL's Configure with, when the `lambda`
# feature builds OpenSSL from source (.cargo/config.toml names it in
# OPENSSL_SRC_PERL; openssl-src takes no Configure options otherwise).
#
# It adds enable-ec_nistp_64_gcc_128, as Debian, Fedora and Amazon Linux
# configure their OpenSSL: the 64-bit constant-time code for the NIST
# curves. Without it OpenSSL falls back to its generic code, and ES512
# verification in the Lambda package was 3.4 times slower than with the
# system's OpenSSL (BENCHMARKS.md, "Signature backends").
if [ "${1:-}" = "./Configure" ]; then
  exec perl "$@" enable-ec_nistp_64_gcc_128
fi
exec perl "$@"
