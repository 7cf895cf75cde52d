#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from the official Go modules and caches
# them per version in $PALISADE_CACHE/k8s/<version>/bin (default ~/.cache/palisade). A second run
# with the binaries present does nothing. Prints the bin directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${PALISADE_CACHE:-$HOME/.cache/palisade}
root=$cache/k8s/$KUBERNETES_VERSION
bin=$root/bin
binaries=(etcd etcdctl kube-apiserver kube-controller-manager kubectl)
if (cd "$bin" 2>/dev/null && for b in "${binaries[@]}"; do [[ -x $b ]] || exit 1; done); then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build.sh: Go is needed to build the control plane" >&2; exit 1; }

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
log() { echo "build.sh: $*" >&2; }

# k8s.io/kubernetes resolves its staging modules only through replace lines in its own go.mod,
# which do not apply to a module that requires it: replace each with the published v0.X.Y.
staging_replaces() {
  local gomod
  gomod=$(cd / && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  local published=v0.${KUBERNETES_VERSION#v1.}
  grep -Eo '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$published" '{print "replace " $1 " => " $1 " " v}'
}

build_kubernetes() {
  local src=$root/src/kubernetes replaces
  replaces=$(staging_replaces)
  [[ -n $replaces ]] || { log "found no staging modules in k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod"; exit 1; }
  mkdir -p "$src"
  cd "$src"
  cat > go.mod <<MOD
module palisade.dev/control-plane/kubernetes

go 1.26

require k8s.io/kubernetes $KUBERNETES_VERSION

$replaces
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubectl/pkg/cmd"
)
GO
  log "resolving k8s.io/kubernetes $KUBERNETES_VERSION ($(grep -c '^replace' go.mod) staging modules)"
  go mod tidy
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local stamp="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  stamp+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  stamp+=" -X k8s.io/component-base/version.gitTreeState=clean"
  stamp+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
  # kubectl reads its version from client-go's copy of the same variables.
  stamp+=" ${stamp//k8s.io\/component-base/k8s.io/client-go/pkg}"
  log "building kube-apiserver, kube-controller-manager and kubectl"
  go build -trimpath -ldflags "-s -w $stamp" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  local src=$root/src/etcd
  mkdir -p "$src"
  cd "$src"
  cat > go.mod <<MOD
module palisade.dev/control-plane/etcd

go 1.26

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION
)
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
GO
  log "resolving etcd $ETCD_VERSION"
  go mod tidy
  log "building etcd and etcdctl"
  go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
  go build -trimpath -ldflags "-s -w" -o "$bin/etcdctl" go.etcd.io/etcd/etcdctl/v3
}

mkdir -p "$bin"
# Build into a staging directory and move into place, so that an interrupted build is never
# mistaken for a finished one.
final=$bin
bin=$root/bin.partial
rm -rf "$bin"; mkdir -p "$bin"
build_etcd
build_kubernetes
rm -rf "$final"
mv "$bin" "$final"
log "done: $final"
echo "$final"
