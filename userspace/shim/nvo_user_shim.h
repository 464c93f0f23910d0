/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel definitions that the NVMe/TCP PDU codec
 * (include/linux/nvmet_offload_pdu.h, kmod/pdu.c) uses, so that the codec
 * builds unchanged as host C for unit tests and fuzzing.
 *
 * Only what the codec needs lives here. The byte-order helpers do not assume
 * a little-endian host: they go through bytes, which compilers fold back to
 * plain loads and stores on x86 and arm64.
 */
#ifndef NVO_USER_SHIM_H
#define NVO_USER_SHIM_H

#ifdef __KERNEL__
#error "nvo_user_shim.h is for userspace builds only"
#endif

#include <stddef.h>	/* size_t, offsetof */
#include <string.h>	/* memset, memcpy */
#ifndef __cplusplus
#include <stdbool.h>	/* bool, true, false */
#endif

/*
 * The same definitions as the UAPI <linux/types.h> (asm-generic/int-ll64.h),
 * so that a file that includes both still compiles: C11 and C++ accept an
 * identical typedef twice.
 */
typedef unsigned char		__u8;
typedef unsigned short		__u16;
typedef unsigned int		__u32;
typedef unsigned long long	__u64;
typedef signed char		__s8;
typedef signed short		__s16;
typedef signed int		__s32;
typedef signed long long	__s64;

/* Kernel-internal names. */
typedef __u8	u8;
typedef __u16	u16;
typedef __u32	u32;
typedef __u64	u64;
typedef __s8	s8;
typedef __s16	s16;
typedef __s32	s32;
typedef __s64	s64;

/* sparse's __bitwise is not enforced here: the wire types are plain. */
typedef __u16	__le16;
typedef __u32	__le32;
typedef __u64	__le64;

/*
 * The kernel build exports the codec to other modules; userspace links it.
 * Expands to a declaration that emits nothing, so that the ';' after it does
 * not become an empty declaration at file scope (-Wpedantic, -Wextra-semi).
 */
#ifdef __cplusplus
#define NVO_SHIM_NOTHING(sym)	static_assert(1, #sym)
#else
#define NVO_SHIM_NOTHING(sym)	_Static_assert(1, #sym)
#endif
#define EXPORT_SYMBOL_GPL(sym)	NVO_SHIM_NOTHING(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	NVO_SHIM_NOTHING(sym)
#define EXPORT_SYMBOL(sym)	NVO_SHIM_NOTHING(sym)

#ifdef __cplusplus
extern "C" {
#endif

/* ---- little-endian loads and stores at any address ---------------------- */

static inline __u16 get_unaligned_le16(const void *p)
{
	const __u8 *b = (const __u8 *)p;

	return (__u16)(b[0] | (b[1] << 8));
}

static inline __u32 get_unaligned_le32(const void *p)
{
	const __u8 *b = (const __u8 *)p;

	return (__u32)b[0] | ((__u32)b[1] << 8) | ((__u32)b[2] << 16) |
	       ((__u32)b[3] << 24);
}

static inline __u64 get_unaligned_le64(const void *p)
{
	const __u8 *b = (const __u8 *)p;

	return (__u64)get_unaligned_le32(b) |
	       ((__u64)get_unaligned_le32(b + 4) << 32);
}

static inline void put_unaligned_le16(__u16 val, void *p)
{
	__u8 *b = (__u8 *)p;

	b[0] = (__u8)val;
	b[1] = (__u8)(val >> 8);
}

static inline void put_unaligned_le32(__u32 val, void *p)
{
	__u8 *b = (__u8 *)p;

	b[0] = (__u8)val;
	b[1] = (__u8)(val >> 8);
	b[2] = (__u8)(val >> 16);
	b[3] = (__u8)(val >> 24);
}

static inline void put_unaligned_le64(__u64 val, void *p)
{
	__u8 *b = (__u8 *)p;

	put_unaligned_le32((__u32)val, b);
	put_unaligned_le32((__u32)(val >> 32), b + 4);
}

/* ---- CPU <-> little-endian wire values ---------------------------------- */
/*
 * A __le value is a number whose in-memory bytes are the wire bytes: store
 * it through the byte helpers and read the bytes back as a native value.
 */

static inline __le16 cpu_to_le16(__u16 val)
{
	__le16 r;

	put_unaligned_le16(val, &r);
	return r;
}

static inline __le32 cpu_to_le32(__u32 val)
{
	__le32 r;

	put_unaligned_le32(val, &r);
	return r;
}

static inline __le64 cpu_to_le64(__u64 val)
{
	__le64 r;

	put_unaligned_le64(val, &r);
	return r;
}

static inline __u16 le16_to_cpu(__le16 val)
{
	return get_unaligned_le16(&val);
}

static inline __u32 le32_to_cpu(__le32 val)
{
	return get_unaligned_le32(&val);
}

static inline __u64 le64_to_cpu(__le64 val)
{
	return get_unaligned_le64(&val);
}

#ifdef __cplusplus
}
#endif

#endif /* NVO_USER_SHIM_H */
