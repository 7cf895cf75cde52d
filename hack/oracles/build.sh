#!/usr/bin/env bash
# Builds the test oracles named (helm, promtool) from their official Go modules and caches each per
# version in $PALISADE_CACHE/oracles/<name>-<version>/bin/<name> (default ~/.cache/palisade), one
# at a time. A second run with a binary present does nothing for it. Prints each binary's path on
# stdout, in the order named; logs go to stderr.
#   usage: build.sh NAME...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${PALISADE_CACHE:-$HOME/.cache/palisade}/oracles
log() { echo "oracles/build.sh: $*" >&2; }

# Sets module, version and package (the command to build) for oracle $1.
oracle() {
  case $1 in
    helm) module=helm.sh/helm/v4 version=$HELM_VERSION package=helm.sh/helm/v4/cmd/helm ;;
    promtool) module=github.com/prometheus/prometheus version=$PROMETHEUS_VERSION package=github.com/prometheus/prometheus/cmd/promtool ;;
    *) log "no oracle named '$1' (there are: helm, promtool)"; exit 2 ;;
  esac
}

# The -X flags that make oracle $1 report its release, as its own release build does; $2 is the
# module's source directory.
stamp() {
  case $1 in
    helm) echo "-X helm.sh/helm/v4/internal/version.version=$version" ;;
    promtool) echo "-X github.com/prometheus/common/version.Version=$(cat "$2/VERSION")" ;;
  esac
}

# Builds oracle $1 into $2 (a new directory: src/ for the wrapper module, bin/ for the binary).
build() (
  local name=$1 dir=$2 json src
  mkdir -p "$dir/src" "$dir/bin"
  cd "$dir/src"
  log "resolving $module $version"
  json=$(cd / && go mod download -json "$module@$version")
  field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" <<<"$json"; }
  src=$(field Dir)
  [[ -d $src ]] || { log "go mod download gave no source directory for $module@$version"; exit 1; }
  cat > go.mod <<MOD
module palisade.dev/oracles/$name

go 1.26

require $module $version
MOD
  cat > tools.go <<GO
//go:build tools

package tools

import _ "$package"
GO
  # Start from the module's own go.sum (plus its own two lines): tidy then needs no checksum database.
  { cat "$src/go.sum"; echo "$module $version $(field Sum)"; echo "$module $version/go.mod $(field GoModSum)"; } > go.sum
  go mod tidy
  log "building $name"
  go build -trimpath -ldflags "-s -w $(stamp "$name" "$src")" -o "$dir/bin/$name" "$package"
)

(( $# > 0 )) || { log "usage: build.sh NAME... (helm, promtool)"; exit 2; }
for name in "$@"; do oracle "$name"; done

export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod -buildvcs=false"
locked=
for name in "$@"; do
  oracle "$name"
  root=$cache/$name-$version
  if [[ ! -x $root/bin/$name ]]; then
    command -v go >/dev/null || { log "Go is needed to build $name (a test oracle); none is on PATH"; exit 1; }
    if [[ -z $locked ]]; then
      # One build at a time, also across concurrent runs of this script; the lock is freed on exit.
      mkdir -p "$cache"
      exec 9>"$cache/.lock"
      flock 9
      locked=1
    fi
  fi
  if [[ ! -x $root/bin/$name ]]; then
    # Built in a staging directory and moved into place, so that an interrupted build is never
    # mistaken for a finished one.
    partial=$root.partial
    rm -rf "$partial"
    build "$name" "$partial"
    rm -rf "$root"
    mv "$partial" "$root"
    log "done: $root/bin/$name"
  fi
  echo "$root/bin/$name"
done
