#!/usr/bin/env bash
# Installs what lineage's tests need when it is missing:
#   - redis-server and redis-cli (the tests start their own servers on free
#     ports) and curl, with apt-get;
#   - chromium, for the browser tests of the hosted pages
#     (web/pages/browsertest), with apt-get, when /usr/bin/chromium is missing
#     and $CHROMIUM names no executable;
#   - axe-core, the accessibility checker those tests inject, from npm into
#     web/pages/browsertest/testdata/node_modules (git-ignored), when its
#     axe.min.js is missing there or is not the pinned version; npm itself
#     with apt-get if needed.
# Debian/Ubuntu with apt-get; apt-get runs as root, or through sudo; npm runs
# as the calling user, so the checkout stays theirs.
set -euo pipefail

# Pinned: the browser tests' expectations were checked against this version.
AXE_VERSION=4.14.1

root="$(cd "$(dirname "$0")/.." && pwd)"
axe_prefix="web/pages/browsertest/testdata"
axe_js="$root/$axe_prefix/node_modules/axe-core/axe.min.js"
axe_pkg="$root/$axe_prefix/node_modules/axe-core/package.json"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ! -x /usr/bin/chromium ] && { [ -z "${CHROMIUM:-}" ] || [ ! -x "${CHROMIUM}" ]; }; then
  missing+=(chromium)
fi
need_axe=""
if [ ! -f "$axe_js" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$axe_pkg" 2>/dev/null; then
  need_axe=1
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "test-deps: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: no apt-get here; install ${missing[*]} with your package manager" >&2
    exit 1
  fi

  # Keep the packages from starting a system Redis of their own (a machine
  # may already run one on 6379): tests start theirs on free ports.
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    added_policy=1
  fi
  cleanup() { if [ -n "$added_policy" ]; then $sudo rm -f "$policy"; fi; }
  trap cleanup EXIT

  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -n "$need_axe" ]; then
  echo "test-deps: installing axe-core@$AXE_VERSION into $axe_prefix/node_modules" >&2
  (cd "$root" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    --prefix "$axe_prefix" "axe-core@$AXE_VERSION")
  if [ ! -f "$axe_js" ]; then
    echo "test-deps: npm did not leave $axe_js" >&2
    exit 1
  fi
fi
