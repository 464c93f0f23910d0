#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Test the Debian packages of build/packages/ (scripts/package.sh builds them
# when missing):
#   1. DKMS builds nvmet_offload.ko and nicsim.ko from nvmet-offload-dkms for
#      Debian's kernel (scripts/kernel-env.sh: KABI);
#   2. the test VM boots that kernel with those modules in
#      /lib/modules/KABI/updates/dkms, the packaged modprobe.d file, nicctl,
#      its restore helper, unit and defaults where dpkg puts them, and runs
#      scripts/package-test-guest.sh (modprobe path, host I/O, the unit
#      restoring a saved configuration while the device registers late),
#      nicctl of the package running on libnvo_nl.so.0 of libnvo-nl0, and a
#      program built here against libnvo-nl-dev (pkg-config nvo-nl; the
#      CMake package too) talking to the loaded module.
# Usage: package-test.sh [--full]
#   default  the packages unpacked (dpkg-deb -x) into a throwaway root and
#            DKMS run on it (--sourcetree/--dkmstree) against the installed
#            headers: ~2 min, what CI runs.
#   --full   a clean Debian 12 root from the archive (mmdebstrap: dkms,
#            linux-headers-KABI, linux-source-SERIES of the same version,
#            systemd), the packages installed with apt-get install ./x.deb
#            so that their maintainer scripts run DKMS; then systemd-analyze verify and
#            systemctl is-enabled for the unit. The root is cached (by
#            package versions) under BUILD/package-test; a cold one took
#            8.5 min and ~600 MB here. Needs root and the archive.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
# shellcheck source=kernel-env.sh
. "$src/scripts/kernel-env.sh"
full=
[ "${1:-}" = --full ] && full=1
pkgs=$build/packages
work=$build/package-test
t0=$SECONDS

# DKMS itself runs here on the unpacked package (not a build dependency)
if ! command -v dkms >/dev/null; then
	[ "$(id -u)" -eq 0 ] || { echo "package-test: no dkms; run as root" >&2; exit 1; }
	echo "package-test: installing dkms" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dkms >/dev/null
fi
darch=$(dpkg --print-architecture)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
if ! compgen -G "$pkgs/nvmet-offload-dkms_*_all.deb" >/dev/null ||
	! compgen -G "$pkgs/nicctl_*.deb" >/dev/null ||
	! compgen -G "$pkgs/libnvo-nl-dev_*.deb" >/dev/null; then
	bash "$src/scripts/package.sh"
fi
dkms_deb=$(ls "$pkgs"/nvmet-offload-dkms_*_all.deb)
nicctl_deb=$(ls "$pkgs"/nicctl_*_"$darch".deb)
lib_deb=$(ls "$pkgs"/libnvo-nl0_*_"$darch".deb)
dev_deb=$(ls "$pkgs"/libnvo-nl-dev_*_"$darch".deb)
ver=$(dpkg-deb -f "$dkms_deb" Version)
arch=$(uname -m)
die() { echo "package-test: $*" >&2; exit 1; }

root=$work/root
rm -rf "$root"
mkdir -p "$work"
if [ -z "$full" ]; then
	mkdir -p "$root"
	dpkg-deb -x "$dkms_deb" "$root"
	dpkg-deb -x "$nicctl_deb" "$root"
	dpkg-deb -x "$lib_deb" "$root"
	dpkg-deb -x "$dev_deb" "$root"
	mkdir -p "$root/var/lib/dkms"
	# DKMS as the package's postinst runs it, on a private tree.
	dk=(--sourcetree "$root/usr/src" --dkmstree "$root/var/lib/dkms")
	dkms add "${dk[@]}" -m nvmet-offload -v "$ver" >/dev/null
	dkms build "${dk[@]}" -m nvmet-offload -v "$ver" -k "$KABI" ||
		{ cat "$root/var/lib/dkms/nvmet-offload/$ver/build/make.log" >&2 || true; die "dkms build failed"; }
	kos=$root/var/lib/dkms/nvmet-offload/$ver/$KABI/$arch/module
else
	[ "$(id -u)" -eq 0 ] || die "--full needs root (mmdebstrap, chroot)"
	hdr=$(dpkg-query -W -f='${Version}' "linux-headers-$KABI")
	include="dkms,linux-headers-$KABI=$hdr,linux-source-$KSERIES=$hdr,systemd,xz-utils"
	tar=$work/root-$(echo "$include" | sha256sum | cut -c1-12).tar
	if [ ! -f "$tar" ]; then
		echo "package-test: building a clean Debian 12 root (mmdebstrap)" >&2
		rm -rf "$work"/root-*.tar
		# the name must end in .tar: mmdebstrap picks its output format
		# from it (anything else makes a directory)
		mmdebstrap --variant=apt --mode=root --include="$include" bookworm "${tar%.tar}.tmp.tar" \
			"deb http://deb.debian.org/debian bookworm main" \
			"deb http://deb.debian.org/debian-security bookworm-security main" >&2
		mv "${tar%.tar}.tmp.tar" "$tar"
	fi
	mkdir -p "$root"
	tar -C "$root" -xf "$tar"
	cp "$dkms_deb" "$nicctl_deb" "$lib_deb" "$dev_deb" "$root/tmp/"
	mount -t proc proc "$root/proc"
	# shellcheck disable=SC2064 # expand now
	trap "umount '$root/proc' 2>/dev/null || true" EXIT
	# apt installs the local .deb files and what nicctl needs from the
	# archive; the maintainer scripts run DKMS.
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	chroot "$root" apt-get update -qq
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"/tmp/$(basename "$dkms_deb")" "/tmp/$(basename "$nicctl_deb")" \
		"/tmp/$(basename "$lib_deb")" "/tmp/$(basename "$dev_deb")"
	chroot "$root" dkms status
	kos=$root/lib/modules/$KABI/updates/dkms
	chroot "$root" systemd-analyze verify --man=no nicctl.service ||
		die "systemd-analyze verify nicctl.service failed"
	[ "$(chroot "$root" systemctl is-enabled nicctl.service)" = enabled ] ||
		die "nicctl.service is not enabled after installation"
	umount "$root/proc"
	trap - EXIT
fi
for m in nvmet_offload nicsim nvmet_offload_rdma nicsim_rdma; do
	[ -f "$kos/$m.ko" ] || die "DKMS left no $m.ko in $kos"
	[ "$(modinfo -F vermagic "$kos/$m.ko" | cut -d' ' -f1)" = "$KABI" ] ||
		die "$m.ko: vermagic is not $KABI"
done
echo "package-test: DKMS built the four modules for $KABI ($((SECONDS - t0)) s)"

# nicctl of the package needs libnvo_nl.so.0 (libnvo-nl0's); a consumer
# builds against libnvo-nl-dev with pkg-config and with the CMake package,
# the headers and the library of the unpacked root only.
lib=$root/usr/lib/$triplet
readelf -d "$root/usr/sbin/nicctl" | grep -q 'NEEDED.*\[libnvo_nl\.so\.0\]' ||
	die "the packaged nicctl does not link libnvo_nl.so.0"
[ -f "$root/usr/share/ynl/specs/nvmet_offload.yaml" ] || die "no YNL spec in nicctl"
consumer=$src/userspace/lib/tests/consumer
pc=$(PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_LIBDIR=$lib/pkgconfig pkg-config --cflags --libs nvo-nl) ||
	die "pkg-config nvo-nl failed on libnvo-nl-dev"
# shellcheck disable=SC2086 # pkg-config's output is words
g++ -std=c++17 -o "$work/nvo-consumer" "$consumer/consumer.cc" $pc ||
	die "a consumer does not build with pkg-config nvo-nl ($pc)"
cmake -S "$consumer" -B "$work/consumer-cmake" -DCMAKE_PREFIX_PATH="$root/usr" \
	-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$work/consumer-cmake.log" 2>&1 &&
	cmake --build "$work/consumer-cmake" >>"$work/consumer-cmake.log" 2>&1 ||
	{ cat "$work/consumer-cmake.log" >&2; die "a consumer does not build with find_package(nvo_nl)"; }
LD_LIBRARY_PATH=$lib "$work/consumer-cmake/consumer" | grep -Eq '^(no module|family)' ||
	die "the CMake-built consumer does not run"
echo "package-test: libnvo-nl-dev: a consumer built with pkg-config ($pc) and find_package(nvo_nl)"

# The VM: our own build dir (nicctl of the package in bin/ so that the overlay
# ships its libraries), the base initramfs shared with BUILD.
vmb=$work/vmbuild
rm -rf "$vmb"
mkdir -p "$vmb/bin" "$build/vm"
ln -s "$build/vm" "$vmb/vm"
cp "$root/usr/sbin/nicctl" "$vmb/bin/"
mdir=/usr/lib/modules/$KABI/updates/dkms
files=(
	--file "$kos/nvmet_offload.ko:$mdir/nvmet_offload.ko"
	--file "$kos/nicsim.ko:$mdir/nicsim.ko"
	--file "$kos/nvmet_offload_rdma.ko:$mdir/nvmet_offload_rdma.ko"
	--file "$kos/nicsim_rdma.ko:$mdir/nicsim_rdma.ko"
	--file "$root/etc/modprobe.d/nvmet-offload-dkms.conf:/etc/modprobe.d/nvmet-offload-dkms.conf"
	--file "$lib/libnvo_nl.so.0:/usr/lib/$triplet/libnvo_nl.so.0"
	--file "$(readlink -f "$lib/libnvo_nl.so.0"):/usr/lib/$triplet/$(readlink "$lib/libnvo_nl.so.0")"
	--file "$work/nvo-consumer:/opt/nvmet-offload/extra/nvo-consumer"
	--file "$root/etc/default/nicctl:/etc/default/nicctl"
	--file "$root/usr/libexec/nicctl/nicctl-restore:/usr/libexec/nicctl/nicctl-restore"
	--file "$(find "$root" -path '*/systemd/system/nicctl.service' | head -n1):/usr/lib/systemd/system/nicctl.service"
	--file "$src/scripts/package-test-guest.sh:/opt/nvmet-offload/package-test-guest.sh"
)
# LD_LIBRARY_PATH: the overlay's ldd finds libnvo_nl.so.0 (alone: with
# --full the root's library directory holds every library, at paths the
# guest does not search), so that what it needs (libnl) comes from the
# machine's own directories, into the guest's.
ldlib=$work/ld-libnvo
rm -rf "$ldlib"
mkdir -p "$ldlib"
cp -L "$lib/libnvo_nl.so.0" "$ldlib/"
set +e
LD_LIBRARY_PATH=$ldlib NVO_BUILDDIR=$vmb "$src/selftests/vm/run-vm.sh" --timeout 240 --log "$work/vm.log" \
	--output "$work/vm.out" "${files[@]}" /opt/nvmet-offload/package-test-guest.sh
rc=$?
set -e
sed '/^@@NVO-RESULT/d' "$work/vm.out" 2>/dev/null
echo "package-test: VM exit $rc; $((SECONDS - t0)) s in all (console: $work/vm.log)"
exit "$rc"
