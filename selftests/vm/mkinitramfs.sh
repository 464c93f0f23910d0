#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build what the test VM boots. The initramfs comes in two cpio parts that
# run-vm.sh concatenates:
#
#   mkinitramfs.sh base            -> prints build/vm/base.cpio
#       Debian's kernel modules, busybox, nvme-cli, fio, e2fsprogs, kmod, bash
#       and every shared library they need (~100 MB, fio's ceph/icu libraries
#       are most of it). Cached: rebuilt (~4 s) only when its stamp (this
#       script, KABI, package versions) changes. Uncompressed by default:
#       unpacking 42 MB of gzip costs ~1.3 s of every TCG boot, a raw cpio
#       first is fine (only a raw part AFTER a compressed one is ignored).
#       NVO_BASE_COMPRESS=gzip -> base.cpio.gz (gzip -1) instead.
#   mkinitramfs.sh overlay OUT [RUNFILE]
#       gzip'd: the project's files (build/modules/*.ko, build/bin/*,
#       selftests/, the guest /init) plus RUNFILE as /etc/nvo/run. Small,
#       built for every boot. NVO_OVERLAY_EXTRA=DIR: a tree copied on top
#       (run-vm.sh --file).
#   mkinitramfs.sh python          -> prints build/vm/python.cpio
#       An optional third part, between the two, for the tests that state
#       "# nvo-initramfs: python" (run-vm.sh --part python): Debian's
#       python3 with only the modules the kernel's ynl CLI imports
#       (tools/net/ynl of linux-source-6.12, unpacked by
#       scripts/ynl-gen.sh --extract, at /opt/ynl) and PyYAML. Raw cpio,
#       cached like the base (its stamp: this script, the packages, the
#       source tarball). x86 only.
#   mkinitramfs.sh kernel          -> prints the kernel image to boot
#       build/vm/vmlinux-$KABI: the ELF extracted from $KVMLINUZ, booted
#       through its PVH entry, skipping the xz decompressor (~2.5 s under
#       TCG). Falls back to $KVMLINUZ if extraction fails. NVO_BOOT=bzimage
#       forces $KVMLINUZ.
#
# Env: NVO_BUILDDIR (default <repo>/build), NVO_EXTRA_KMODS (more Debian
# module names to put in the base), NVO_FORCE_BASE=1 (rebuild regardless).
# NVO_KERNEL=debug (scripts/kernel-env.sh): the debug-kernel lane. The base
# then holds that kernel's staged modules and is build/vm/base-debug.cpio
# (its own stamp and manifest: the lanes never share one), the overlay takes
# build/modules-debug/*.ko, and "kernel" prints the debug kernel's bzImage.
set -euo pipefail
# Parsed whole before it runs (the braces, closed at the end): editing this
# file while a run is under way must not change that run.
{

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/kernel-env.sh
. "$repo/scripts/kernel-env.sh"
set -u

builddir=${NVO_BUILDDIR:-$repo/build}
vmdir=$builddir/vm
# "" for Debian's kernel, "-debug" for the debug lane's
suffix=${KFLAVOR:+-$KFLAVOR}

# Kernel modules the tests use; their dependencies come from modprobe.
KMODS=(
	configfs nvmet nvmet-tcp nvme-tcp nvme-fabrics nvme-core null_blk
	ext4 jbd2 mbcache crc16 crc32c_generic crc32c-intel libcrc32c loop
	# crypto API users look crc32c up by alias, not through modules.dep
	crc32_generic crc32-pclmul crct10dif_generic crct10dif-pclmul
	# network namespaces / virtual links for multi-host tests
	veth dummy
	# ss -K (socket destruction, CONFIG_INET_DIAG_DESTROY) in storm_hostkill
	inet_diag tcp_diag
	# packet loss on lo (tc netem) in tcp_fio_verify: TCP retransmits
	sch_netem
	# NVMe/RDMA over Soft-RoCE (rdma_*.sh): rxe on a dummy netdev, the
	# nvme-rdma host, stock nvmet-rdma for baselines; rxe's ICRC needs the
	# crc32 modules above, which modules.dep does not list
	rdma_rxe rdma_cm ib_core nvme-rdma nvmet-rdma
	# userspace verbs and rdma_cm for the raw client (rdma_malformed.sh)
	ib_uverbs rdma_ucm
)
# arm64 (NVO_ARCH=arm64): the generic/arm64 names of the crypto modules,
# and virtio over MMIO for the second console (the test's clean output).
if [ "${KARCH:-x86_64}" = arm64 ]; then
	KMODS=(
		configfs nvmet nvmet-tcp nvme-tcp nvme-fabrics nvme-core null_blk
		ext4 jbd2 mbcache crc16 crc32c_generic libcrc32c loop
		crc32_generic crct10dif_generic crct10dif-ce
		veth dummy virtio_mmio virtio_console sch_netem
		# NVMe/RDMA over Soft-RoCE, as above (the SmartNIC's own arch)
		rdma_rxe rdma_cm ib_core nvme-rdma nvmet-rdma ib_uverbs rdma_ucm
	)
fi
# The arm64 userland: Debian's arm64 packages (scripts/arm64-env.sh).
ARM64_USERLAND=${NVO_ARM64_ROOT:-${HOME:-/root}/.cache/nvmet-offload/arm64}/userland
# Userspace programs (host path). Each comes with the libraries ldd lists.
BINS=(
	/usr/bin/bash /usr/sbin/nvme /usr/bin/fio
	/usr/sbin/mke2fs /usr/sbin/mkfs.ext4 /usr/sbin/e2fsck /usr/sbin/fsck.ext4
	/usr/bin/setpriv /usr/bin/flock /usr/bin/lsblk /usr/sbin/blkid
	/usr/sbin/ip /usr/bin/ss /usr/bin/rdma /usr/sbin/tc
	/usr/bin/kmod
	/usr/bin/timeout /usr/bin/stdbuf
	/usr/bin/pgrep /usr/bin/pkill
)
# Copied when the host has them (handy for debugging, not required).
OPT_BINS=(/usr/bin/strace)

die() { echo "mkinitramfs: $*" >&2; exit 1; }

# Everything the base depends on, one line each, hashed into the stamp.
base_inputs() {
	local pkgs=(busybox-static nvme-cli libnvme1 fio e2fsprogs util-linux
		iproute2 kmod bash coreutils procps libc6 ibverbs-providers
		"linux-image-$KABI")
	sha256sum <"${BASH_SOURCE[0]}"
	echo "KABI=$KABI compress=$base_compress"
	# another kernel: its staged modules (a rebuild moves or touches them)
	[ -n "$KFLAVOR" ] && echo "KMODDIR=$KMODDIR $(stat -c %Y "$KMODDIR/modules.dep" 2>/dev/null)"
	echo "EXTRA=${NVO_EXTRA_KMODS:-}"
	if [ "${KARCH:-x86_64}" = arm64 ]; then
		echo "KPKGVER=$KPKGVER"
		ls "$ARM64_USERLAND/debs"
	fi
	dpkg-query -W -f='${Package}=${Version}\n' "${pkgs[@]}" 2>/dev/null || true
	local b
	for b in "${OPT_BINS[@]}"; do [ -x "$b" ] && echo "opt=$b"; done
	return 0
}

# Install host file $1 into root $2 at its canonical (merged-/usr) path, with
# the symlink name it was asked under, and all libraries ldd lists.
copy_with_libs() {
	local src=$1 root=$2 real dir name lib
	real=$(readlink -f "$src")
	[ -e "$real" ] || die "missing $src"
	dir=$(readlink -f "$(dirname "$src")")
	name=$(basename "$src")
	mkdir -p "$root$(dirname "$real")" "$root$dir"
	[ -e "$root$real" ] || cp -p "$real" "$root$real"
	if [ "$dir/$name" != "$real" ] && [ ! -e "$root$dir/$name" ]; then
		ln -s "$real" "$root$dir/$name"
	fi
	# ldd prints "libx.so => /path (addr)" and "/lib64/ld-linux... (addr)".
	while read -r lib; do
		[ -n "$lib" ] || continue
		copy_lib "$lib" "$root"
	done < <(ldd "$real" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}

copy_lib() {
	local lib=$1 root=$2 dir
	dir=$(readlink -f "$(dirname "$lib")")
	[ -e "$root$dir/$(basename "$lib")" ] && return 0
	mkdir -p "$root$dir"
	cp -L "$lib" "$root$dir/$(basename "$lib")"
}

base_compress=${NVO_BASE_COMPRESS:-none}
case $base_compress in
none) base_out=$vmdir/base$suffix.cpio ;;
gzip) base_out=$vmdir/base$suffix.cpio.gz ;;
*) die "NVO_BASE_COMPRESS must be none or gzip" ;;
esac

build_base() {
	local out=$base_out stamp=$vmdir/base$suffix.stamp.$base_compress want root m f
	mkdir -p "$vmdir"
	want=$(base_inputs | sha256sum | cut -d' ' -f1)
	if [ -z "${NVO_FORCE_BASE:-}" ] && [ -f "$out" ] && [ -f "$stamp" ] &&
		[ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	# Several engineers share one tree: serialize, then re-check.
	exec 9>"$vmdir/.base.lock"
	flock 9
	if [ -z "${NVO_FORCE_BASE:-}" ] && [ -f "$out" ] && [ -f "$stamp" ] &&
		[ "$(cat "$stamp")" = "$want" ]; then
		exec 9>&-
		return 0
	fi
	echo "mkinitramfs: building base initramfs for $KABI" >&2
	[ -d "$KMODDIR/kernel" ] || die "$KMODDIR not installed (scripts/deps.sh)"
	local t0=$SECONDS
	root=$(mktemp -d "$vmdir/base-root.XXXXXX")
	# shellcheck disable=SC2064 # expand now: root is local
	trap "rm -rf '$root'" EXIT

	# merged /usr, like the Debian 12 host
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,tmp,run,root,etc,mnt,var}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../tmp "$root/var/tmp"
	chmod 1777 "$root/tmp"

	# -- kernel modules (+ deps) -------------------------------------------
	local kmods=("${KMODS[@]}")
	# shellcheck disable=SC2206 # word splitting wanted
	[ -n "${NVO_EXTRA_KMODS:-}" ] && kmods+=(${NVO_EXTRA_KMODS})
	local dst=$root/usr/lib/modules/$KABI kmodreal modroot
	kmodreal=$(readlink -f "$KMODDIR")
	# modprobe -d: the root KMODDIR is lib/modules/$KABI of ("/" on the host,
	# the staging directory for the debug kernel)
	modroot=${kmodreal%/lib/modules/"$KABI"}
	modroot=${modroot:-/}
	mkdir -p "$dst"
	for m in "${kmods[@]}"; do
		if ! modprobe -d "$modroot" -S "$KABI" --show-depends "$m" >"$vmdir/.deps$suffix" 2>&1; then
			# The RDMA stack is optional: a debug-kernel lane's kernel
			# built before its config had InfiniBand lacks it (the
			# rdma_*.sh tests fail there).
			case $m in rdma_rxe | rdma_cm | ib_core | nvme-rdma | nvmet-rdma | ib_uverbs | rdma_ucm)
				echo "mkinitramfs: no $m in $KABI: the RDMA tests cannot run on it" >&2
				continue ;;
			sch_netem)
				echo "mkinitramfs: no $m in $KABI: no packet loss on lo there" >&2
				continue ;;
			esac
			die "module $m: $(cat "$vmdir/.deps$suffix")"
		fi
		while read -r word f _; do
			[ "$word" = insmod ] || continue
			f=$(readlink -f "$f")
			f=${f#"$kmodreal"}
			mkdir -p "$dst$(dirname "$f")"
			cp -n "$kmodreal$f" "$dst$f"
		done <"$vmdir/.deps$suffix"
	done
	rm -f "$vmdir/.deps$suffix"
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$KMODDIR/$f" ] && cp "$KMODDIR/$f" "$dst/"
	done
	depmod -b "$root" "$KABI"

	if [ "${KARCH:-x86_64}" = arm64 ]; then
		# -- arm64: the packages unpacked whole (ldd cannot read them) ---
		compgen -G "$ARM64_USERLAND/debs/*.deb" >/dev/null ||
			die "no arm64 userland in $ARM64_USERLAND (bash scripts/arm64-env.sh)"
		for f in "$ARM64_USERLAND"/debs/*.deb; do
			dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$root"
		done
		rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bash-completion}
	else
	# -- busybox: applets as symlinks, never "busybox" onto itself ---------
	cp /bin/busybox "$root/usr/bin/busybox"
	# -- real programs and their libraries ---------------------------------
	for f in "${BINS[@]}"; do copy_with_libs "$f" "$root"; done
	for f in "${OPT_BINS[@]}"; do [ -x "$f" ] && copy_with_libs "$f" "$root"; done
	# The Soft-RoCE provider libibverbs loads by name (rdma_malformed.sh's
	# raw client): when the host has it (ibverbs-providers)
	for f in /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so; do
		[ -e "$f" ] || continue
		copy_with_libs "$f" "$root"
		mkdir -p "$root/etc/libibverbs.d"
		cp /etc/libibverbs.d/rxe.driver "$root/etc/libibverbs.d/"
	done
	fi
	# kmod's applets
	for f in modprobe insmod rmmod lsmod depmod modinfo; do
		ln -sf ../bin/kmod "$root/usr/sbin/$f"
	done
	mkdir -p "$root/usr/libexec/coreutils"
	[ "${KARCH:-x86_64}" = arm64 ] ||
		cp /usr/libexec/coreutils/libstdbuf.so "$root/usr/libexec/coreutils/"
	local a
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] && continue
		[ -e "$root/usr/bin/$a" ] || [ -e "$root/usr/sbin/$a" ] ||
			[ -L "$root/usr/sbin/$a" ] || ln -s busybox "$root/usr/bin/$a"
	done

	# -- /etc ----------------------------------------------------------------
	mkdir -p "$root/etc/nvme"
	# Fixed identity: tests may match it in allowed_hosts.
	echo "nqn.2014-08.org.nvmexpress:uuid:4e564f2d-7465-7374-6265-640000000001" \
		>"$root/etc/nvme/hostnqn"
	echo "4e564f2d-7465-7374-6265-640000000001" >"$root/etc/nvme/hostid"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$root/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
	printf '%s\n' '127.0.0.1 localhost nvo-guest' '::1 localhost ip6-localhost' >"$root/etc/hosts"
	printf '%s\n' 'passwd: files' 'group: files' 'hosts: files' >"$root/etc/nsswitch.conf"
	echo nvo-guest >"$root/etc/hostname"
	local triplet=x86_64-linux-gnu
	[ "${KARCH:-x86_64}" = arm64 ] && triplet=aarch64-linux-gnu
	printf '%s\n' "/usr/lib/$triplet" "/usr/lib/$triplet/ceph" >"$root/etc/ld.so.conf"
	# arm64: the host's ldconfig cannot read its libraries; the guest's
	# /init runs its own when there is no cache
	[ "${KARCH:-x86_64}" = arm64 ] || ldconfig -r "$root" 2>/dev/null || true
	touch "$root/etc/mtab"

	# Manifest: overlay builds skip libraries the base already has.
	(cd "$root" && find . -mindepth 1 | sed 's|^\.||' | sort) >"$vmdir/base$suffix.manifest.tmp"
	if [ "$base_compress" = gzip ]; then
		(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
			cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
	else
		(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
			cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
	fi
	mv "$vmdir/base$suffix.manifest.tmp" "$vmdir/base$suffix.manifest"
	mv "$out.tmp" "$out"
	echo "$want" >"$stamp"
	rm -rf "$root"
	trap - EXIT
	exec 9>&-
	echo "mkinitramfs: base $(du -h "$out" | cut -f1) in $((SECONDS - t0)) s" >&2
}

# The per-boot part. Its files land after the base's when the kernel unpacks,
# so it may also replace base files.
build_overlay() {
	local out=$1 runfile=${2:-} root f lib
	root=$(mktemp -d "${TMPDIR:-/tmp}/nvo-overlay.XXXXXX")
	local opt=$root/opt/nvmet-offload
	mkdir -p "$opt/modules" "$opt/bin" "$opt/selftests" "$root/etc/nvo"
	install -m 0755 "$here/init" "$root/init"
	if compgen -G "$builddir/modules$suffix/*.ko" >/dev/null; then
		cp "$builddir/modules$suffix"/*.ko "$opt/modules/"
	fi
	if [ -d "$builddir/bin" ]; then
		cp -a "$builddir/bin/." "$opt/bin/"
	fi
	# The selftests tree without editor or VM-side leftovers.
	(cd "$repo/selftests" && find . -path ./vm -prune -o \( -type f -o -type l \) -print0 |
		cpio --quiet -0 -pdm "$opt/selftests")
	[ -n "$runfile" ] && cp "$runfile" "$root/etc/nvo/run"
	# run-vm.sh --file: a staged tree, copied over everything else
	if [ -d "${NVO_OVERLAY_EXTRA:-}" ]; then
		cp -a "$NVO_OVERLAY_EXTRA/." "$root/"
	fi
	# The family's spec where ynl looks (the packages install it there too)
	mkdir -p "$root/usr/share/ynl/specs"
	cp "$repo"/Documentation/netlink/specs/*.yaml "$root/usr/share/ynl/specs/"
	# Libraries of project binaries that the base lacks (e.g. libnl, spdlog).
	if [ -d "$opt/bin" ] && [ -f "$vmdir/base$suffix.manifest" ]; then
		while IFS= read -r -d '' f; do
			head -c4 "$f" 2>/dev/null | grep -q 'ELF' || continue
			while read -r lib; do
				[ -n "$lib" ] || continue
				local canon
				canon=$(readlink -f "$(dirname "$lib")")/$(basename "$lib")
				grep -qxF "$canon" "$vmdir/base$suffix.manifest" && continue
				copy_lib "$lib" "$root"
			done < <(ldd "$f" 2>/dev/null |
				sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
		done < <(find "$opt/bin" -type f -perm -u+x -print0)
	fi
	# usr/lib in the base is a real dir, lib a symlink: never ship a top-level
	# lib/ directory in the overlay, it would replace the symlink.
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out"
	rm -rf "$root"
}

# The stdlib and site-packages files python imports to run ynl's cli.py
# (and json/sys for a test's own helpers), from the host's Debian python3:
# the modules loaded by "cli.py --list-ops" on our spec (which fails on
# the host, past its imports, when the host lacks the family), one path a
# line.
python_files() {
	local ynl=$1
	/usr/bin/python3 - "$ynl/cli.py" "$repo/Documentation/netlink/specs/nvmet_offload.yaml" <<-'EOF' |
		import atexit, json, runpy, sys
		def dump():
		    for m in list(sys.modules.values()):
		        f = getattr(m, '__file__', None)
		        if f:
		            print('@@' + f)
		atexit.register(dump)
		cli, spec = sys.argv[1], sys.argv[2]
		sys.path.insert(0, cli.rsplit('/', 1)[0])
		sys.argv = [cli, '--spec', spec, '--no-schema', '--list-ops']
		try:  # the host has no such family: the imports are done by then
		    runpy.run_path(cli, run_name='__main__')
		except Exception:
		    pass
	EOF
		sed -n 's/^@@//p' | grep -E '^/usr/lib/python3' | sort -u
}

build_python() {
	local out=$vmdir/python$suffix.cpio stamp=$vmdir/python$suffix.stamp want root ynl f pyc lib
	[ "${KARCH:-x86_64}" = arm64 ] && die "the python part is x86 only"
	ynl=$("$repo/scripts/ynl-gen.sh" --extract "$builddir")
	want=$({
		sha256sum <"${BASH_SOURCE[0]}"
		sha256sum "$ynl"/cli.py "$ynl"/lib/*.py | cut -d' ' -f1
		dpkg-query -W -f='${Package}=${Version}\n' python3-minimal \
			libpython3.11-stdlib python3-yaml libyaml-0-2 2>/dev/null
		cat "$vmdir/base$suffix.stamp.$base_compress"
	} | sha256sum | cut -d' ' -f1)
	[ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
	exec 7>"$vmdir/.python.lock"
	flock 7
	if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		exec 7>&-
		return 0
	fi
	local t0=$SECONDS
	root=$(mktemp -d "$vmdir/python-root.XXXXXX")
	# shellcheck disable=SC2064 # expand now: root is local
	trap "rm -rf '$root'" EXIT
	mkdir -p "$root/usr/bin" "$root/opt/ynl/lib" "$root/usr/lib/python3.11/lib-dynload"
	cp -p /usr/bin/python3.11 "$root/usr/bin/"
	ln -s python3.11 "$root/usr/bin/python3"
	python_files "$ynl" >"$vmdir/python.files"
	grep -q '/yaml/__init__.py$' "$vmdir/python.files" || die "python: no PyYAML (apt-get install python3-yaml)"
	while read -r f; do
		mkdir -p "$root$(dirname "$f")"
		cp -pL "$f" "$root$f"
		# the compiled module next to it: no compiling in a TCG guest
		pyc=$(dirname "$f")/__pycache__/$(basename "${f%.py}").cpython-311.pyc
		if [ "${f%.py}" != "$f" ] && [ -f "$pyc" ]; then
			mkdir -p "$root$(dirname "$pyc")"
			cp -p "$pyc" "$root$pyc"
		fi
	done <"$vmdir/python.files"
	# libraries of the interpreter and its extension modules the base lacks
	while IFS= read -r -d '' f; do
		while read -r lib; do
			[ -n "$lib" ] || continue
			grep -qxF "$(readlink -f "$(dirname "$lib")")/$(basename "$lib")" \
				"$vmdir/base$suffix.manifest" && continue
			copy_lib "$lib" "$root"
		done < <(ldd "$f" 2>/dev/null |
			sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p')
	done < <(find "$root/usr" -type f \( -name '*.so' -o -name 'python3.11' \) -print0)
	cp "$ynl/cli.py" "$root/opt/ynl/"
	cp "$ynl"/lib/*.py "$root/opt/ynl/lib/"
	/usr/bin/python3 -m compileall -q "$root/opt/ynl" >/dev/null
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$want" >"$stamp"
	rm -rf "$root"
	trap - EXIT
	exec 7>&-
	echo "mkinitramfs: python part $(du -h "$out" | cut -f1) in $((SECONDS - t0)) s" >&2
}

# The ELF inside the bzImage: find the payload's magic, decompress, check.
build_kernel() {
	local out=$vmdir/vmlinux-$KABI stamp key off
	# a kernel we built (the debug lane), or an arm64 one (qemu loads its
	# gzip'd Image): its own image, booted as it is
	if [ -z "${KPACKAGED:-}" ] || [ "${KARCH:-x86_64}" = arm64 ]; then
		[ -r "$KVMLINUZ" ] || die "kernel image $KVMLINUZ not readable"
		echo "$KVMLINUZ"
		return
	fi
	[ "${NVO_BOOT:-pvh}" = bzimage ] && { echo "$KVMLINUZ"; return; }
	[ -r "$KVMLINUZ" ] || die "kernel image $KVMLINUZ not readable"
	key=$(stat -c '%s %Y' "$KVMLINUZ")
	stamp=$out.stamp
	if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
		echo "$out"; return
	fi
	mkdir -p "$vmdir"
	exec 8>"$vmdir/.kernel.lock"
	flock 8
	if ! { [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; }; then
		rm -f "$out" "$stamp"
		local magic tool
		for magic in xz gzip zstd; do
			case $magic in
			xz) off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$KVMLINUZ" | head -n1 | cut -d: -f1 || true); tool="xz -dc" ;;
			gzip) off=$(LC_ALL=C grep -abo $'\x1f\x8b\x08' "$KVMLINUZ" | head -n1 | cut -d: -f1 || true); tool="gzip -dc" ;;
			zstd) off=$(LC_ALL=C grep -abo $'\x28\xb5\x2f\xfd' "$KVMLINUZ" | head -n1 | cut -d: -f1 || true); tool="zstd -dcq" ;;
			esac
			[ -n "$off" ] || continue
			# trailing bytes after the payload make the tools complain: ignore
			tail -c +$((off + 1)) "$KVMLINUZ" | $tool >"$out.tmp" 2>/dev/null || true
			if [ "$(head -c4 "$out.tmp" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
				readelf -n "$out.tmp" 2>/dev/null | grep -q 'Xen'; then
				mv "$out.tmp" "$out"
				echo "$key" >"$stamp"
				break
			fi
			rm -f "$out.tmp"
		done
	fi
	exec 8>&-
	if [ -f "$out" ]; then echo "$out"; else
		echo "mkinitramfs: no PVH vmlinux in $KVMLINUZ; booting the bzImage" >&2
		echo "$KVMLINUZ"
	fi
}

case ${1:-} in
base)
	build_base
	echo "$base_out"
	;;
kernel)
	build_kernel
	;;
python)
	build_base
	build_python
	echo "$vmdir/python$suffix.cpio"
	;;
overlay)
	[ -n "${2:-}" ] || die "usage: mkinitramfs.sh overlay OUT [RUNFILE]"
	build_overlay "$2" "${3:-}"
	;;
*)
	echo "usage: mkinitramfs.sh base | kernel | python | overlay OUT [RUNFILE]" >&2
	exit 2
	;;
esac
exit
}
