#!/usr/bin/env bash
# Installs the Debian packages a target needs when they are missing (as root), or says what to
# install. Usage: ensure-system-deps.sh [test|demo|bench]  (default: test)
#   demo: etcd, for the drill's etcd path.
#   bench: etcd; valgrind (instructions per request, counted by callgrind).
#   test: etcd and etcdctl; python3-grpcio (interop with gRPC C-core); Go with grpc-go and etcd's
#         client (interop with Go); Chromium (the HTML report in a real browser).
set -euo pipefail

profile="${1:-test}"
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
if [ "$profile" = bench ]; then
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
fi
if [ "$profile" = test ]; then
  command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
  /usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || missing+=(python3-grpcio)
  # The Go interop tests build a grpc-go caller and server from Debian's Go packages (GOPATH mode).
  command -v go >/dev/null 2>&1 || missing+=(golang-go)
  [ -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3/naming ] || missing+=(golang-etcd-server-dev)
  [ -d /usr/share/gocode/src/google.golang.org/grpc ] || missing+=(golang-google-grpc-dev)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "lameduck: missing Debian packages: ${missing[*]}" >&2
  echo "lameduck: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "lameduck: installing ${missing[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package starts a system etcd where an init system runs; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
