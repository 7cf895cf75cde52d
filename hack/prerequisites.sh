#!/usr/bin/env bash
# Makes sure the machine has the few tools the tests need beyond Go: openssl (certificates),
# util-linux's setpriv (no orphaned processes), unshare and nsenter, and mount (the image test's
# namespaces and overlay, test/e2e/image: it also needs root and overlayfs), and lua5.1 (ArgoCD's
# health checks run under Lua 5.1), and iptables (the NFQUEUE rule of the real-packet dataplane,
# harness/dataplane). Installs them from Debian's packages when it can (root with apt-get), and
# otherwise says what is missing.
set -euo pipefail
declare -A package=([openssl]=openssl [setpriv]=util-linux [unshare]=util-linux [nsenter]=util-linux [mount]=mount [lua5.1]=lua5.1 [iptables]=iptables)
missing=()
for tool in "${!package[@]}"; do command -v "$tool" >/dev/null || missing+=("${package[$tool]}"); done
command -v go >/dev/null || { echo "prerequisites: Go is needed to build the control plane (https://go.dev/dl)" >&2; exit 1; }
(( ${#missing[@]} == 0 )) && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "prerequisites: install ${missing[*]} (Debian package names)" >&2
  exit 1
fi
