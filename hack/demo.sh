#!/usr/bin/env bash
# The demo on a running local control plane (make cluster-up): installs config/default, starts the
# operator in the background, applies the examples and shows them the way an operator of the
# cluster would see them. `hack/demo.sh down` stops the operator.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.palisade/demo
health=127.0.0.1:18081
metrics=127.0.0.1:18443

stop_operator() {
  if [[ -f $state/operator.pid ]]; then
    kill "$(cat "$state/operator.pid")" 2>/dev/null || true
    rm -f "$state/operator.pid"
  fi
}

if [[ ${1:-up} == down ]]; then
  stop_operator
  echo "Operator stopped."
  exit 0
fi

eval "$(node hack/cluster.ts env | sed 's/^/export /')"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

# Everything a cluster gets (CRDs, RBAC, admission policy, Deployment); the Deployment's pods
# cannot run here (no nodes), so the operator runs below as a local process, as its ServiceAccount.
step kubectl apply --server-side -k config/default
step kubectl wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=palisade
printf '\n\033[1m$ %s\033[0m\n' "kubectl apply --server-side -f the ClusterNetworkPolicy CRDs of sigs.k8s.io/network-policy-api v0.3.0" >&2
node hack/demo/cluster-network-policy-crds.ts "$KUBECONFIG"
# /metrics is HTTPS with a bearer token, as shipped: a ServiceAccount allowed to read it, as a
# Prometheus' would be.
kubectl create serviceaccount metrics-reader -n palisade-system --dry-run=client -o yaml | kubectl apply --server-side -f - >/dev/null
kubectl create clusterrolebinding palisade-demo-metrics-reader --clusterrole=palisade-metrics-reader \
  --serviceaccount=palisade-system:metrics-reader --dry-run=client -o yaml | kubectl apply --server-side -f - >/dev/null

mkdir -p "$state"
stop_operator
printf '\n\033[1m$ palisade operator (in the background, logs in %s/operator.log)\033[0m\n' "$state"
POD_NAMESPACE=palisade-system nohup node src/cli/main.ts operator --kubeconfig="$OPERATOR_KUBECONFIG" \
  --health-address=$health --metrics-address=$metrics --apiserver-urls="$APISERVER_URL" >"$state/operator.log" 2>&1 &
echo $! >"$state/operator.pid"
for _ in $(seq 1 100); do
  node -e "fetch('http://$health/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break
  sleep 0.3
done
echo "ready: http://$health/readyz, metrics: https://$metrics/metrics (bearer token of palisade-system/metrics-reader)"

step kubectl apply --server-side -f examples/namespaceringfence.yaml -f examples/clusterringfence.yaml -f examples/podsecuritybaseline.yaml
# The rotation example with File delivery to this control plane's own encryption config.
printf '\n\033[1m$ %s\033[0m\n' "kubectl apply --server-side -f examples/keyrotationschedule.yaml, delivery: File to $ENCRYPTION_CONFIG" >&2
node hack/demo/keyrotationschedule.ts "$ENCRYPTION_CONFIG" | kubectl apply --server-side -f -
step kubectl wait --for=condition=Ready --timeout=60s namespaceringfence --all --all-namespaces
step kubectl wait --for=condition=Ready --timeout=60s clusterringfence --all
step kubectl wait --for=condition=Ready --timeout=60s podsecuritybaseline --all
step kubectl wait --for=condition=Ready --timeout=60s keyrotationschedule --all
step kubectl get palisade --all-namespaces
step kubectl get networkpolicies,rolebindings --namespace payments -l app.kubernetes.io/managed-by=palisade
step kubectl get clusternetworkpolicies -l app.kubernetes.io/managed-by=palisade
step kubectl get namespaces -l palisade.dev/tenant=true -L pod-security.kubernetes.io/enforce,pod-security.kubernetes.io/enforce-version,pod-security.kubernetes.io/warn

cat <<TXT

Rotate the encryption key now (about three minutes: the apiserver reloads its config once a
minute), and watch it go through its phases:
  kubectl annotate keyrotationschedule secrets-at-rest palisade.dev/rotate-now="\$(date +%s)" --overwrite
  kubectl get keyrotationschedule secrets-at-rest --watch

The control plane and the operator keep running. To look around:
  export KUBECONFIG=$KUBECONFIG
  export PATH=${PATH%%:*}:\$PATH
Scrape the operator's metrics (HTTPS, self-signed certificate, a token allowed by palisade-metrics-reader):
  curl -sk -H "Authorization: Bearer \$(kubectl create token metrics-reader -n palisade-system)" https://$metrics/metrics
Stop them with: make demo-down
TXT
