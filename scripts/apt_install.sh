#!/usr/bin/env bash
# apt_install.sh <package>...: install Debian packages that `make test` needs, as root, once.
# Not root (or no apt): say which packages to install and fail.
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: $0 <package>..." >&2; exit 2; }
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "missing system packages: install them with: apt-get install $*" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or stale: update once and try again.
apt-get install -y -q "$@" >&2 || { apt-get update -q >&2 && apt-get install -y -q "$@" >&2; } \
    || { echo "apt-get could not install $*" >&2; exit 1; }
