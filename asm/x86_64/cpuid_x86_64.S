/* CPUID and XGETBV for feature detection (System V AMD64 ABI).
 *   void     kerno_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);  regs = eax, ebx, ecx, edx
 *   uint64_t kerno_x86_xgetbv(uint32_t xcr);
 */
    .text
    .globl  kerno_x86_cpuid
    .hidden kerno_x86_cpuid
    .type   kerno_x86_cpuid, @function
    .p2align 4
kerno_x86_cpuid:
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
    .size   kerno_x86_cpuid, .-kerno_x86_cpuid

    .globl  kerno_x86_xgetbv
    .hidden kerno_x86_xgetbv
    .type   kerno_x86_xgetbv, @function
    .p2align 4
kerno_x86_xgetbv:
    movl    %edi, %ecx
    xgetbv
    shlq    $32, %rdx
    orq     %rdx, %rax
    ret
    .size   kerno_x86_xgetbv, .-kerno_x86_xgetbv

    .section .note.GNU-stack, "", @progbits
