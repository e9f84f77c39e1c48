// Namespacing shared by every C++ translation unit of fastinit.
//
// The sampling kernels are compiled several times, once per instruction set
// (see CMakeLists.txt). Every inline function in a header that a kernel
// translation unit includes must therefore get a distinct mangled name per
// instruction set, or the linker may merge an AVX2 copy into the generic path.
// Headers wrap their contents in FI_NAMESPACE_BEGIN / FI_NAMESPACE_END, which
// opens `fastinit::<isa>` as an inline namespace: code names `fastinit::x`
// while the symbols stay separate per target.
#pragma once

#ifndef FI_ISA
#define FI_ISA baseline
#endif

#define FI_NAMESPACE_BEGIN namespace fastinit { inline namespace FI_ISA {
#define FI_NAMESPACE_END } }

#if defined(__GNUC__) || defined(__clang__)
#define FI_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FI_ALWAYS_INLINE __forceinline
#endif
