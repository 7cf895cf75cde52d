#!/usr/bin/env bash
# The demo on a running local control plane (make cluster-up): installs the CRDs, applies the
# examples and shows them the way an operator of the cluster would see them.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(node hack/cluster.ts env | sed 's/^/export /')"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step kubectl apply --server-side -k config/crd
step kubectl wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=palisade
step kubectl apply --server-side -f examples/
step kubectl get palisade --all-namespaces

cat <<TXT

The control plane keeps running. To look around:
  export KUBECONFIG=$KUBECONFIG
  export PATH=${PATH%%:*}:\$PATH
Stop it with: make demo-down
TXT
