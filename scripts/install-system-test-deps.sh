#!/bin/sh
# System packages the test suite needs beyond pip: Debian's Chromium and its WebDriver, for the
# browser tests of `backprop playground` (tests/playground/test_playground_browser.py).
# Idempotent: does nothing when /usr/bin/chromium and /usr/bin/chromedriver are both present.
# Uses sudo when not run as root. Usage: sh scripts/install-system-test-deps.sh
set -eu

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "install-system-test-deps: chromium and chromedriver already installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-system-test-deps: need root or sudo to install chromium and chromium-driver" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-test-deps: apt-get not found; install Chromium and its chromedriver by hand" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver
echo "install-system-test-deps: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
