#!/bin/sh
# install-deps.sh - install what StrideHub needs to build, test and run on
# Debian 12. Idempotent: installs only what is missing. Run as root or
# through sudo.
set -eu

PKGS="build-essential cmake pkg-config libpaho-mqtt-dev libsodium-dev \
libcjson-dev libsqlite3-dev libexpat1-dev sqlite3 mosquitto mosquitto-clients"

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: run as root, or install sudo" >&2; exit 1; }
	SUDO=sudo
fi

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
