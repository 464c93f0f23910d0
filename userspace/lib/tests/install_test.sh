#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The installed nvo_nl (cmake --install to a scratch prefix): public headers
# with no libnl include, only NVO_API symbols exported, the YAML spec where
# ynl looks, and a consumer built against the headers alone, with
# pkg-config, and with the CMake package, each of which runs.
# usage: install_test.sh BUILD_DIR CXX CXXFLAGS
set -u
build=$1 cxx=$2 cxxflags=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
p=$tmp/usr
cmake --install "$build" --prefix "$p" --component nvo-nl >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "cmake --install"; }
lib=$(find "$p" -name 'libnvo_nl.so.0' | head -n 1)
[ -n "$lib" ] || fail "no libnvo_nl.so.0 installed"
libdir=$(dirname "$lib")
[ -e "$libdir/libnvo_nl.so" ] || fail "no libnvo_nl.so link"
for h in client.h types.h error.h export.h nl_tables_gen.h; do
	[ -f "$p/include/nvo/$h" ] || fail "header nvo/$h not installed"
done
for h in codec.h socket.h; do
	[ -e "$p/include/nvo/$h" ] && fail "internal header nvo/$h installed"
done
grep -n 'include <netlink\|nl_sock\|nl_msg' "$p"/include/nvo/*.h && fail "libnl in the public headers"
[ -f "$p/share/ynl/specs/nvmet_offload.yaml" ] || fail "spec not in share/ynl/specs"
# Exported: the API, not the codec or the socket.
syms=$(nm -D --defined-only -C "$lib")
grep -q 'nvo::Client::Client()' <<<"$syms" || fail "nvo::Client not exported"
grep -q 'nvo::ToString\[abi:cxx11\](nvo::Policy)' <<<"$syms" || fail "nvo::ToString not exported"
grep -q 'nvo::ToString\[abi:cxx11\](nvo::Transport)' <<<"$syms" || fail "nvo::ToString(Transport) not exported"
grep -Eq 'nvo::(BuildPortSet|Socket::|ParseDevice)' <<<"$syms" && fail "internal symbols exported"
# shellcheck disable=SC2086 # CXXFLAGS are words
run() { # NAME: build with the rest, then run
	local name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; fail "$name: build"; }
	LD_LIBRARY_PATH=$libdir "$tmp/$name" >"$tmp/$name.out" 2>&1 ||
		{ cat "$tmp/$name.out"; fail "$name: run"; }
	grep -Eq '^(no module|family|error)' "$tmp/$name.out" || fail "$name: output"
	echo "ok: $name: $(cat "$tmp/$name.out")"
}
# shellcheck disable=SC2086
run headers-only "$cxx" -std=c++17 $cxxflags -I"$p/include" "$here/consumer/consumer.cc" \
	-L"$libdir" -lnvo_nl -o "$tmp/headers-only"
pc=$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs nvo-nl) || fail "pkg-config nvo-nl"
# shellcheck disable=SC2086
run pkg-config "$cxx" -std=c++17 $cxxflags "$here/consumer/consumer.cc" $pc -o "$tmp/pkg-config"
cmake -S "$here/consumer" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_CXX_COMPILER="$cxx" \
	-DCMAKE_CXX_FLAGS="$cxxflags" >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "find_package(nvo_nl)"; }
cmake --build "$tmp/cm" >>"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "cmake consumer build"; }
cp "$tmp/cm/consumer" "$tmp/cmake-package"
run cmake-package true
exit 0
