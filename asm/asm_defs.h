/* asm_defs.h - lets one GNU-syntax .S file assemble to ELF (Linux), Mach-O (macOS) and COFF (Windows:
 * mingw-w64 gcc or clang for the windows-gnu targets). Every .S file under asm/ includes it first and spells:
 *   KERNO_FUNC name, log2_align   ...   KERNO_ENDFUNC name   a function private to libkerno
 *   L(name)                                                an assembler-local label (no symbol emitted)
 *   KERNO_RODATA                                           switch to read-only data
 *   KERNO_ADDR xN, L(name)                                 (AArch64) xN = address of a local label
 *   KERNO_FILE_END                                         last line of the file
 * The calling convention is the ELF one everywhere (System V AMD64, AAPCS64): on Windows the C declarations
 * carry KERNO_ASM_ABI (native/include/kerno_internal.h), so the bodies are the same on every OS. */
#ifndef KERNO_ASM_DEFS_H
#define KERNO_ASM_DEFS_H

#if defined(__APPLE__)
/* Mach-O: C names take a leading underscore, private labels start with L, .private_extern is hidden. */
#define L(name) L##name
.macro KERNO_FUNC name, align
    .text
    .globl  _\name
    .private_extern _\name
    .p2align \align
_\name:
.endm
.macro KERNO_ENDFUNC name
.endm
.macro KERNO_RODATA
    .section __TEXT,__const
.endm
.macro KERNO_FILE_END
.endm

#elif defined(_WIN32)
/* COFF: an external function symbol (storage class 2, type 0x20); the DLL exports only what the C code marks
 * __declspec(dllexport), so these stay inside kerno.dll. */
#define L(name) .L##name
.macro KERNO_FUNC name, align
    .text
    .globl  \name
    .def    \name
    .scl    2
    .type   32
    .endef
    .p2align \align
\name:
.endm
.macro KERNO_ENDFUNC name
.endm
.macro KERNO_RODATA
    .section .rdata, "dr"
.endm
.macro KERNO_FILE_END
.endm

#else
/* ELF: hidden, typed and sized symbols; the stack note keeps the stack non-executable. */
#define L(name) .L##name
.macro KERNO_FUNC name, align
    .text
    .globl  \name
    .hidden \name
    .type   \name, %function
    .p2align \align
\name:
.endm
.macro KERNO_ENDFUNC name
    .size   \name, .-\name
.endm
.macro KERNO_RODATA
    .section .rodata
.endm
.macro KERNO_FILE_END
    .section .note.GNU-stack, "", %progbits
.endm
#endif

#if defined(__aarch64__) || defined(__arm64__)
/* adrp + add of a label within +-4 GiB: Mach-O spells the page and offset relocations @PAGE / @PAGEOFF. */
#if defined(__APPLE__)
.macro KERNO_ADDR reg, sym
    adrp    \reg, \sym@PAGE
    add     \reg, \reg, \sym@PAGEOFF
.endm
#else
.macro KERNO_ADDR reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
.endm
#endif
#endif

#endif
