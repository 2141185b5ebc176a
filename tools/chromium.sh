#!/usr/bin/env bash
# chromium.sh: the headless browser the web page's tests drive
# (internal/webui, through chromedp).
#
#   tools/chromium.sh install    install Debian's chromium when missing
#                                (apt-get; through sudo when not root)
#   tools/chromium.sh path       print the browser's path
#
# Tests read the browser's path from JSTRACE_TEST_CHROMIUM, else look for
# chromium on PATH; without one they fail when CI=true and skip otherwise.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

path() {
	for b in "${JSTRACE_TEST_CHROMIUM:-}" chromium chromium-browser google-chrome; do
		if [[ -n $b ]] && command -v "$b" >/dev/null; then
			command -v "$b"
			return
		fi
	done
	return 1
}

install() {
	if path >/dev/null; then
		return
	fi
	apt_install chromium chromium
}

case "${1:-}" in
install) install ;;
path) path ;;
*)
	echo "usage: tools/chromium.sh install|path" >&2
	exit 2
	;;
esac
