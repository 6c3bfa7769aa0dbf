#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never a downloaded browser build).
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "Chromium is missing; installing Debian's chromium package" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1
fi
command -v chromium >/dev/null 2>&1 || {
  echo "error: the browser tests need Debian's chromium (apt-get install chromium); install it and run again" >&2
  exit 1
}
