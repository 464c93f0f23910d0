#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generate the netlink code of the nvmet_offload family from its YNL spec,
# Documentation/netlink/specs/nvmet_offload.yaml:
#   include/uapi/linux/nvmet_offload.h   ynl-gen-c.py --mode uapi
#   kmod/netlink-gen.h, kmod/netlink-gen.c  ynl-gen-c.py --mode kernel
#                                        (policies, split ops, mcast groups)
#   the counter and name tables          scripts/nl-tables.py (kernel and
#                                        userspace, see there)
#   Documentation/netlink.rst's tables   check-netlink-spec.py --update-rst
# ynl-gen-c.py is the kernel's own (tools/net/ynl), taken from Debian's
# linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz, NVO_YNL_SRC_TAR);
# it validates the spec against the kernel's genetlink-c schema first.
# Nothing from the kernel tree is copied into ours: it is unpacked in
# BUILD_DIR/ynl (default build/ynl).
# Usage: ynl-gen.sh [--check | --extract] [BUILD_DIR]
#   --check: generate into a scratch directory and fail when a committed
#   file differs (run by scripts/kcheck.sh).
#   --extract: only unpack (when not current) and print the directory
#   holding the kernel's tools/net/ynl (its cli.py drives the family in the
#   VM: selftests/netlink_ynl_cli.sh, mkinitramfs.sh python).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
check=0
extract=0
case ${1:-} in
--check) check=1; shift ;;
--extract) extract=1; shift ;;
esac
build=$(mkdir -p "${1:-$src/build}" && cd "${1:-$src/build}" && pwd)
tar=${NVO_YNL_SRC_TAR:-/usr/src/linux-source-6.12.tar.xz}
top=linux-source-6.12
ynl=$build/ynl

if [ ! -f "$tar" ]; then
	echo "ynl-gen: $tar missing (apt-get install linux-source-6.12)" >&2
	exit 1
fi
stamp="$ynl/.stamp"
want="$(stat -c '%s %Y' "$tar")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	rm -rf "${ynl:?}"
	mkdir -p "$ynl"
	tar -C "$ynl" -xJf "$tar" --wildcards "$top/tools/net/ynl/*" \
		"$top/Documentation/netlink/genetlink*.yaml"
	echo "$want" >"$stamp"
fi
if [ $extract = 1 ]; then
	echo "$ynl/$top/tools/net/ynl"
	exit 0
fi

# ynl-gen-c.py finds the schema next to the spec's directory and names the
# spec by its path under the directory holding MAINTAINERS: a small tree.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/tree/Documentation/netlink/specs" "$stage/out"
touch "$stage/tree/MAINTAINERS"
cp "$ynl/$top/Documentation/netlink/"genetlink*.yaml "$stage/tree/Documentation/netlink/"
spec="$stage/tree/Documentation/netlink/specs/nvmet_offload.yaml"
cp "$src/Documentation/netlink/specs/nvmet_offload.yaml" "$spec"

gen="$ynl/$top/tools/net/ynl/ynl-gen-c.py"
mkdir -p "$stage/out/include/uapi/linux" "$stage/out/kmod" \
	"$stage/out/include/linux" "$stage/out/userspace/lib/src"
python3 "$gen" --mode uapi --header --spec "$spec" \
	-o "$stage/out/include/uapi/linux/nvmet_offload.h"
python3 "$gen" --mode kernel --header --spec "$spec" \
	-o "$stage/out/kmod/netlink-gen.h"
python3 "$gen" --mode kernel --source --spec "$spec" \
	-o "$stage/out/kmod/netlink-gen.c"
python3 "$src/scripts/nl-tables.py" --spec "$spec" --out "$stage/out"

status=0
while IFS= read -r f; do
	rel=${f#"$stage/out/"}
	if [ $check = 1 ]; then
		if ! cmp -s "$f" "$src/$rel"; then
			echo "ynl-gen: $rel is not what the spec generates (run scripts/ynl-gen.sh):" >&2
			diff -u "$src/$rel" "$f" | head -20 >&2 || true
			status=1
		fi
	elif ! cmp -s "$f" "$src/$rel"; then
		cp "$f" "$src/$rel"
		echo "ynl-gen: wrote $rel"
	fi
done < <(find "$stage/out" -type f | sort)
# The generated tables of Documentation/netlink.rst (its own checker
# compares them in --check mode: CTest's netlink_spec_check).
if [ $check = 0 ]; then
	python3 "$src/scripts/check-netlink-spec.py" --root "$src" --update-rst >/dev/null
fi
[ $check = 1 ] && [ $status = 0 ] && echo "ynl-gen: generated files are current"
exit $status
