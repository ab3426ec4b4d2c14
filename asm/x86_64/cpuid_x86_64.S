/* CPUID and XGETBV for feature detection (System V AMD64 ABI).
 *   void     kerno_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);  regs = eax, ebx, ecx, edx
 *   uint64_t kerno_x86_xgetbv(uint32_t xcr);
 */
#include "../asm_defs.h"

    KERNO_FUNC kerno_x86_cpuid, 4
    pushq   %rbx                /* cpuid clobbers rbx, which is callee-saved */
    movl    %edi, %eax
    movl    %esi, %ecx
    movq    %rdx, %r8
    cpuid
    movl    %eax, 0(%r8)
    movl    %ebx, 4(%r8)
    movl    %ecx, 8(%r8)
    movl    %edx, 12(%r8)
    popq    %rbx
    ret
    KERNO_ENDFUNC kerno_x86_cpuid

    KERNO_FUNC kerno_x86_xgetbv, 4
    movl    %edi, %ecx
    xgetbv
    shlq    $32, %rdx
    orq     %rdx, %rax
    ret
    KERNO_ENDFUNC kerno_x86_xgetbv

    KERNO_FILE_END
