/* SGEMM micro-kernel, AVX-512: a 14 x 32 tile of C in 28 zmm accumulators (System V AMD64 ABI).
 *
 *   void kerno_sgemm_14x32_avx512(size_t kc, const float* a, const float* b, float* c, size_t ldc,
 *                                 const sgemm_ukr_ctx* ctx);
 *   rdi = kc, rsi = a (packed in blocks of 8 depth steps: 14 rows x 8 floats each, the last block partial),
 *   rdx = b (kc x 32 floats, packed), rcx = c,
 *   r8 = ldc (floats), r9 = ctx (native/gemm/sgemm_internal.h: mr 0, nr 8, bias 16, flags 24, alpha 28,
 *   beta 32, clamp_min 36, clamp_max 40, slope 44, pf 48, pf_stride 56, a_stride 64).
 *
 * Registers: zmm0..zmm27 accumulate row i in zmm(2i) (columns 0-15) and zmm(2i+1) (16-31); zmm28/29 hold
 * the 32 floats of B at depth p; zmm30/31 alternate as the broadcast of A[i][p]. Per depth step: 2 B loads,
 * 14 broadcasts, 28 FMAs, so the two FMA pipes, not the load ports, bound the loop. With ctx->pf set, every
 * depth step also prefetches two lines at pf + p * pf_stride into L2 (the driver points it at the source of
 * the next B panel, so its packing finds it there). rbx, rbp, r12-r15 hold the streams and the loop entries.
 * A tile with mr <= 7 runs 7-row loops (half the FMAs), e.g. the last panel of M = 49.
 * With SGEMM_F_PACK_B the kernel packs the B panel as it goes: each depth step loads B's row from its source
 * (ctx->pf, stride ctx->pf_stride; masked to nr columns and zero-filled), stores it to b, and prefetches
 * the row 24 steps ahead into L2 (r10), so B's packing hides under the FMAs.
 * With SGEMM_F_A_DIRECT (a full 14-row tile, ctx->a_stride = lda in bytes) A is read in place, unpacked:
 * for small N, where each A panel serves few tiles and packing it would cost more than it saves; it combines
 * with SGEMM_F_PACK_B (then B's source is walked with rbx / rbp).
 *
 * The store applies the epilogue flags (alpha, beta * C, row / column bias, clamp, LeakyReLU with ctx->slope,
 * HardSwish, Sigmoid, SiLU, GELU-tanh: every activation, so none needs a pass over C) and writes ctx->mr rows
 * of ctx->nr columns with k1 / k2 write masks; masked loads of C and the bias never touch memory outside
 * the tile. C is not read unless SGEMM_F_BETA is set.
 */
#include "../asm_defs.h"

#define F_ALPHA    1
#define F_BETA     2
#define F_BIAS_ROW 4
#define F_BIAS_COL 8
#define F_CLAMP    16
#define F_PACK_B   32
#define F_A_DIRECT 64
#define F_LEAKY    128
#define F_HSWISH   256
#define F_SIGMOID  512
#define F_SILU     1024
#define F_GELU     2048
#define C_AHEAD    4  /* depth iterations (x8 steps) before the end at which C is pulled into L1 */

/* One depth step: A[i][p] at aoff + 32 i in the current 8-deep A block (adirect: at aoff from row i of the
 * unpacked A, rows 0-4 / 5-9 / 10-13 from rsi / r10 / r11 with r12 = lda and r13 = 3 lda in bytes), B at boff;
 * rows = 7 skips rows 7-13
 * (a tile with mr <= 7 does half the FMAs). */
.macro KSTEP aoff, boff, rows=14, src=, adirect=0
    .ifb \src
    vmovups      \boff(%rdx), %zmm28
    vmovups      \boff+64(%rdx), %zmm29
    .else
    /* packing mode: B's row from its source (masked to nr columns, zero-filled), stored to the packed panel */
    vmovups      \src, %zmm28{%k1}{z}
    vmovups      64\src, %zmm29{%k2}{z}
    vmovups      %zmm28, \boff(%rdx)
    vmovups      %zmm29, \boff+64(%rdx)
    .endif
    .if \adirect
    vbroadcastss \aoff(%rsi), %zmm30
    .else
    vbroadcastss \aoff+0(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm0
    vfmadd231ps  %zmm29, %zmm30, %zmm1
    .if \adirect
    vbroadcastss \aoff(%rsi,%r12), %zmm31
    .else
    vbroadcastss \aoff+32(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm2
    vfmadd231ps  %zmm29, %zmm31, %zmm3
    .if \adirect
    vbroadcastss \aoff(%rsi,%r12,2), %zmm30
    .else
    vbroadcastss \aoff+64(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm4
    vfmadd231ps  %zmm29, %zmm30, %zmm5
    .if \adirect
    vbroadcastss \aoff(%rsi,%r13), %zmm31
    .else
    vbroadcastss \aoff+96(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm6
    vfmadd231ps  %zmm29, %zmm31, %zmm7
    .if \adirect
    vbroadcastss \aoff(%rsi,%r12,4), %zmm30
    .else
    vbroadcastss \aoff+128(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm8
    vfmadd231ps  %zmm29, %zmm30, %zmm9
    .if \adirect
    vbroadcastss \aoff(%r10), %zmm31
    .else
    vbroadcastss \aoff+160(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm10
    vfmadd231ps  %zmm29, %zmm31, %zmm11
    .if \adirect
    vbroadcastss \aoff(%r10,%r12), %zmm30
    .else
    vbroadcastss \aoff+192(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm12
    vfmadd231ps  %zmm29, %zmm30, %zmm13
    .if \rows > 7
    .if \adirect
    vbroadcastss \aoff(%r10,%r12,2), %zmm31
    .else
    vbroadcastss \aoff+224(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm14
    vfmadd231ps  %zmm29, %zmm31, %zmm15
    .if \adirect
    vbroadcastss \aoff(%r10,%r13), %zmm30
    .else
    vbroadcastss \aoff+256(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm16
    vfmadd231ps  %zmm29, %zmm30, %zmm17
    .if \adirect
    vbroadcastss \aoff(%r10,%r12,4), %zmm31
    .else
    vbroadcastss \aoff+288(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm18
    vfmadd231ps  %zmm29, %zmm31, %zmm19
    .if \adirect
    vbroadcastss \aoff(%r11), %zmm30
    .else
    vbroadcastss \aoff+320(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm20
    vfmadd231ps  %zmm29, %zmm30, %zmm21
    .if \adirect
    vbroadcastss \aoff(%r11,%r12), %zmm31
    .else
    vbroadcastss \aoff+352(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm22
    vfmadd231ps  %zmm29, %zmm31, %zmm23
    .if \adirect
    vbroadcastss \aoff(%r11,%r12,2), %zmm30
    .else
    vbroadcastss \aoff+384(%rsi), %zmm30
    .endif
    vfmadd231ps  %zmm28, %zmm30, %zmm24
    vfmadd231ps  %zmm29, %zmm30, %zmm25
    .if \adirect
    vbroadcastss \aoff(%r11,%r13), %zmm31
    .else
    vbroadcastss \aoff+416(%rsi), %zmm31
    .endif
    vfmadd231ps  %zmm28, %zmm31, %zmm26
    vfmadd231ps  %zmm29, %zmm31, %zmm27
    .endif
.endm

/* Sigmoid, SiLU or GELU-tanh (flags r10d) of zmm x in place, as native/gemm/sgemm_14x32_avx512.c's act_ps
 * computes them (the same operations in the same order): sigmoid(z) = 1 / (1 + exp(-z)) with
 * exp(-z) = 2^n e^r, n = round(-z log2 e), r by Cody-Waite, e^r by its degree-6 Taylor polynomial (< 2e-7
 * relative), then x * sigmoid(x) (SiLU) or x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) (GELU-tanh).
 * zmm28-30 scratch. */
.macro ACT_EXP x
    testl        $F_GELU, %r10d
    jz           11f
    vmulps       %zmm\x, %zmm\x, %zmm28
    vmulps       %zmm\x, %zmm28, %zmm28
    vbroadcastss L(k_gelu_c)(%rip), %zmm29
    vfmadd213ps  %zmm\x, %zmm29, %zmm28     /* x^3 * 0.044715 + x */
    vmulps       L(k_gelu_s)(%rip){1to16}, %zmm28, %zmm28
    vxorps       %xmm29, %xmm29, %xmm29
    vsubps       %zmm28, %zmm29, %zmm28     /* z = -u */
    jmp          12f
11: vxorps       %xmm28, %xmm28, %xmm28
    vsubps       %zmm\x, %zmm28, %zmm28     /* z = -x */
12: vmaxps       L(k_exp_lo)(%rip){1to16}, %zmm28, %zmm28
    vminps       L(k_exp_hi)(%rip){1to16}, %zmm28, %zmm28
    vmulps       L(k_log2e)(%rip){1to16}, %zmm28, %zmm29
    vrndscaleps  $8, %zmm29, %zmm29           /* n, to nearest */
    vfnmadd231ps L(k_ln2_hi)(%rip){1to16}, %zmm29, %zmm28
    vfnmadd231ps L(k_ln2_lo)(%rip){1to16}, %zmm29, %zmm28   /* r = z - n ln 2 */
    vbroadcastss L(k_p6)(%rip), %zmm30
    vfmadd213ps  L(k_p5)(%rip){1to16}, %zmm28, %zmm30
    vfmadd213ps  L(k_p4)(%rip){1to16}, %zmm28, %zmm30
    vfmadd213ps  L(k_p3)(%rip){1to16}, %zmm28, %zmm30
    vfmadd213ps  L(k_half)(%rip){1to16}, %zmm28, %zmm30
    vfmadd213ps  L(k_one)(%rip){1to16}, %zmm28, %zmm30
    vfmadd213ps  L(k_one)(%rip){1to16}, %zmm28, %zmm30
    vscalefps    %zmm29, %zmm30, %zmm30      /* e^z = p(r) 2^n */
    vaddps       L(k_one)(%rip){1to16}, %zmm30, %zmm30
    vbroadcastss L(k_one)(%rip), %zmm28
    vdivps       %zmm30, %zmm28, %zmm28      /* sigmoid = 1 / (1 + e^z) */
    testl        $F_SIGMOID, %r10d
    jz           13f
    vmovaps      %zmm28, %zmm\x
    jmp          14f
13: vmulps       %zmm28, %zmm\x, %zmm\x
14:
.endm

/* Epilogue and store of row i (accumulators zmm r0, zmm r1) at r11; stops at row mr (rax).
 * r10d = flags, rdx = bias, r8 = ldc in bytes, the column bias (masked) at (%rsp),
 * k1/k2 = column masks; zmm28-30 are scratch. */
.macro STORE_ROW i, r0, r1
    cmpq         $\i, %rax
    jbe          L(done)
    testb        $F_ALPHA, %r10b
    jz           1f
    vmulps       28(%r9){1to16}, %zmm\r0, %zmm\r0
    vmulps       28(%r9){1to16}, %zmm\r1, %zmm\r1
1:  testb        $F_BETA, %r10b
    jz           2f
    vmovups      (%r11), %zmm28{%k1}{z}
    vmovups      64(%r11), %zmm29{%k2}{z}
    vfmadd231ps  32(%r9){1to16}, %zmm28, %zmm\r0
    vfmadd231ps  32(%r9){1to16}, %zmm29, %zmm\r1
2:  testb        $F_BIAS_ROW, %r10b
    jz           3f
    vaddps       (4*\i)(%rdx){1to16}, %zmm\r0, %zmm\r0
    vaddps       (4*\i)(%rdx){1to16}, %zmm\r1, %zmm\r1
3:  testb        $F_BIAS_COL, %r10b
    jz           4f
    vaddps       (%rsp), %zmm\r0, %zmm\r0
    vaddps       64(%rsp), %zmm\r1, %zmm\r1
4:  testb        $F_CLAMP, %r10b
    jz           5f
    vmaxps       36(%r9){1to16}, %zmm\r0, %zmm\r0
    vmaxps       36(%r9){1to16}, %zmm\r1, %zmm\r1
    vminps       40(%r9){1to16}, %zmm\r0, %zmm\r0
    vminps       40(%r9){1to16}, %zmm\r1, %zmm\r1
5:  testb        $F_LEAKY, %r10b
    jz           6f
    vcmpps       $1, L(k_zero)(%rip){1to16}, %zmm\r0, %k3   /* x < 0 */
    vcmpps       $1, L(k_zero)(%rip){1to16}, %zmm\r1, %k4
    vmulps       44(%r9){1to16}, %zmm\r0, %zmm\r0{%k3}
    vmulps       44(%r9){1to16}, %zmm\r1, %zmm\r1{%k4}
6:  testl        $F_HSWISH, %r10d
    jz           7f
    vmulps       L(k_sixth)(%rip){1to16}, %zmm\r0, %zmm28
    vmulps       L(k_sixth)(%rip){1to16}, %zmm\r1, %zmm29
    vaddps       L(k_half)(%rip){1to16}, %zmm28, %zmm28
    vaddps       L(k_half)(%rip){1to16}, %zmm29, %zmm29
    vmaxps       L(k_zero)(%rip){1to16}, %zmm28, %zmm28
    vmaxps       L(k_zero)(%rip){1to16}, %zmm29, %zmm29
    vminps       L(k_one)(%rip){1to16}, %zmm28, %zmm28
    vminps       L(k_one)(%rip){1to16}, %zmm29, %zmm29
    vmulps       %zmm28, %zmm\r0, %zmm\r0
    vmulps       %zmm29, %zmm\r1, %zmm\r1
7:  testl        $(F_SIGMOID | F_SILU | F_GELU), %r10d
    jz           8f
    ACT_EXP      \r0
    ACT_EXP      \r1
8:  vmovups      %zmm\r0, (%r11){%k1}
    vmovups      %zmm\r1, 64(%r11){%k2}
    addq         %r8, %r11
.endm

    KERNO_FUNC kerno_sgemm_14x32_avx512, 6
    pushq        %rbx
    pushq        %r12
    pushq        %r13
    pushq        %r14
    pushq        %r15
    pushq        %rbp
    pushq        %rdi                     /* kc: (%rsp) */
    /* prefetch stream (ctx->pf, ctx->pf_stride): two lines per depth step, e.g. the next B panel's source */
    movq         48(%r9), %r12
    movq         56(%r9), %r13
    leaq         (%r13,%r13,2), %rbx
    /* the depth loops: r14 = 4 steps per iteration (with or without the stream), r15 = single steps;
     * the 7-row versions when the tile stores at most 7 rows */
    testb        $F_A_DIRECT, 24(%r9)
    jnz          L(adirect)
    testb        $F_PACK_B, 24(%r9)
    jnz          L(packing)
    leaq         L(loop8_r14)(%rip), %r14
    leaq         L(loop8_r14_pf)(%rip), %r11
    leaq         L(loop1_r14)(%rip), %r15
    cmpq         $7, (%r9)
    ja           1f
    leaq         L(loop8_r7)(%rip), %r14
    leaq         L(loop8_r7_pf)(%rip), %r11
    leaq         L(loop1_r7)(%rip), %r15
1:  testq        %r12, %r12
    cmovnzq      %r11, %r14
    jmp          L(loops_chosen)
L(packing):
    /* packing mode: r12 = B's source row at depth 0, r13 = its stride; k1 / k2 = the nr-column masks */
    movq         8(%r9), %rax
    movq         %rcx, %r11
    movq         %rax, %rcx
    movl         $1, %eax
    shlq         %cl, %rax
    decq         %rax
    kmovd        %eax, %k1
    shrl         $16, %eax
    kmovd        %eax, %k2
    movq         %r11, %rcx
    leaq         (%r13,%r13,2), %rbx      /* 3 * stride */
    leaq         (%r12,%rbx,8), %r10      /* the rows 24 steps ahead, into L2 (not the next panel: with an ldb of */
    leaq         L(loop8_r14_pk)(%rip), %r14  /* 4 KiB multiples a whole panel's rows overflow L2's sets) */
    leaq         L(loop1_r14_pk)(%rip), %r15
    cmpq         $7, (%r9)
    ja           L(loops_chosen)
    leaq         L(loop8_r7_pk)(%rip), %r14
    leaq         L(loop1_r7_pk)(%rip), %r15
    jmp          L(loops_chosen)
L(adirect):
    /* A read in place: rsi = row 0 at depth 0, rows 5 and 10 in r10 / r11, r12 = lda, r13 = 3 lda (bytes) */
    movq         64(%r9), %r12
    leaq         (%r12,%r12,2), %r13
    leaq         (%rsi,%r12,4), %r10
    addq         %r12, %r10
    leaq         (%r10,%r12,4), %r11
    addq         %r12, %r11
    leaq         L(loop8_r14_ad)(%rip), %r14
    leaq         L(loop1_r14_ad)(%rip), %r15
    testb        $F_PACK_B, 24(%r9)
    jz           L(loops_chosen)
    /* and B packed on the way: rbx = its source row, rbp = stride; k1 / k2 = the nr-column masks */
    movq         48(%r9), %rbx
    movq         56(%r9), %rbp
    movq         %rcx, %rax
    movq         8(%r9), %rcx
    movl         $1, %r14d
    shlq         %cl, %r14
    decq         %r14
    kmovd        %r14d, %k1
    shrl         $16, %r14d
    kmovd        %r14d, %k2
    movq         %rax, %rcx
    leaq         L(loop8_adpk)(%rip), %r14
    leaq         L(loop1_adpk)(%rip), %r15
L(loops_chosen):
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27
    vpxord       %zmm\r, %zmm\r, %zmm\r
    .endr

    /* C tile (14 rows x 128 bytes): into L2 now, into L1 (for writing) in the last iterations of the
     * depth loop. Fetched into L1 early, a power-of-two ldc puts its 28 lines into two 12-way L1 sets,
     * where they evict each other (and the B micro-panel) long before the store needs them. */
    movq         %rcx, %rdi
    .rept 14
    prefetcht1   (%rdi)
    prefetcht1   64(%rdi)
    leaq         (%rdi,%r8,4), %rdi
    .endr

    /* rows 0-6 of C into L1 C_AHEAD iterations before the end, rows 7-13 half as many: spread out, the
     * prefetches do not run out of miss buffers (and get dropped). rdi walks the rows. */
    movq         (%rsp), %rax
    shrq         $3, %rax
    cmpq         $C_AHEAD, %rax
    jbe          L(warm_c0)
    subq         $C_AHEAD, %rax
    call         *%r14
    movq         $C_AHEAD, %rax
L(warm_c0):
    movq         %rcx, %rdi
    .rept 7
    prefetchw    (%rdi)
    prefetchw    64(%rdi)
    leaq         (%rdi,%r8,4), %rdi
    .endr
    cmpq         $C_AHEAD/2, %rax
    jbe          L(warm_c1)
    subq         $C_AHEAD/2, %rax
    call         *%r14
    movq         $C_AHEAD/2, %rax
L(warm_c1):
    .rept 7
    prefetchw    (%rdi)
    prefetchw    64(%rdi)
    leaq         (%rdi,%r8,4), %rdi
    .endr
    testq        %rax, %rax
    jz           L(tail)
    call         *%r14
    jmp          L(tail)

/* rax (> 0) iterations of 8 depth steps (one A block), advancing rsi / rdx: local subroutines, so each loop
 * body exists once; \pf adds the prefetch stream (two lines at r12 per step, r12 += r13 per step,
 * rbx = 3 * r13), \pack the packing of B from r12. The next A block is prefetched line by line. */
.macro LOOP8 rows, pf, pack=0, adirect=0, pfreg=r12
    .p2align 5
1:
    .if \adirect == 0
    prefetcht0   448(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg)
    prefetcht1   64(%\pfreg)
    .endif
    .if \pack
    KSTEP        0, 0, \rows, "(%r12)"
    .else
    KSTEP        0, 0, \rows, , \adirect
    .endif
    .if \adirect == 0
    prefetcht0   512(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg,%r13)
    prefetcht1   64(%\pfreg,%r13)
    .endif
    .if \pack
    KSTEP        4, 128, \rows, "(%r12,%r13)"
    .else
    KSTEP        4, 128, \rows, , \adirect
    .endif
    .if \adirect == 0
    prefetcht0   576(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg,%r13,2)
    prefetcht1   64(%\pfreg,%r13,2)
    .endif
    .if \pack
    KSTEP        8, 256, \rows, "(%r12,%r13,2)"
    .else
    KSTEP        8, 256, \rows, , \adirect
    .endif
    .if \adirect == 0
    prefetcht0   640(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg,%rbx)
    prefetcht1   64(%\pfreg,%rbx)
    .endif
    .if \pack
    KSTEP        12, 384, \rows, "(%r12,%rbx)"
    .else
    KSTEP        12, 384, \rows, , \adirect
    .endif
    .if \pack
    leaq         (%r12,%r13,4), %r12
    .endif
    .if \pf
    leaq         (%\pfreg,%r13,4), %\pfreg
    .endif
    .if \adirect == 0
    prefetcht0   704(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg)
    prefetcht1   64(%\pfreg)
    .endif
    .if \pack
    KSTEP        16, 512, \rows, "(%r12)"
    .else
    KSTEP        16, 512, \rows, , \adirect
    .endif
    .if \adirect == 0
    prefetcht0   768(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg,%r13)
    prefetcht1   64(%\pfreg,%r13)
    .endif
    .if \pack
    KSTEP        20, 640, \rows, "(%r12,%r13)"
    .else
    KSTEP        20, 640, \rows, , \adirect
    .endif
    .if \adirect == 0
    prefetcht0   832(%rsi)
    .endif
    .if \pf
    prefetcht1   (%\pfreg,%r13,2)
    prefetcht1   64(%\pfreg,%r13,2)
    .endif
    .if \pack
    KSTEP        24, 768, \rows, "(%r12,%r13,2)"
    .else
    KSTEP        24, 768, \rows, , \adirect
    .endif
    .if \pf
    prefetcht1   (%\pfreg,%rbx)
    prefetcht1   64(%\pfreg,%rbx)
    .endif
    .if \pack
    KSTEP        28, 896, \rows, "(%r12,%rbx)"
    .else
    KSTEP        28, 896, \rows, , \adirect
    .endif
    .if \pack
    leaq         (%r12,%r13,4), %r12
    .endif
    .if \pf
    leaq         (%\pfreg,%r13,4), %\pfreg
    .endif
    .if \adirect
    .irp r, rsi, r10, r11
    prefetcht0   256(%\r)
    prefetcht0   256(%\r,%r12)
    prefetcht0   256(%\r,%r12,2)
    prefetcht0   256(%\r,%r13)
    .endr
    prefetcht0   256(%rsi,%r12,4)
    prefetcht0   256(%r10,%r12,4)
    addq         $32, %rsi
    addq         $32, %r10
    addq         $32, %r11
    .else
    addq         $448, %rsi
    .endif
    addq         $1024, %rdx
    decq         %rax
    jnz          1b
    ret
.endm

/* rax (> 0) single depth steps, inside the last (partial) A block */
.macro LOOP1 rows, pack=0, adirect=0
    .p2align 4
    .if \pack
1:  KSTEP        0, 0, \rows, (%r12)
    addq         %r13, %r12
    addq         %r13, %r10
    .else
1:  KSTEP        0, 0, \rows, , \adirect
    .endif
    .if \adirect
    addq         $4, %r10
    addq         $4, %r11
    .endif
    addq         $4, %rsi
    addq         $128, %rdx
    decq         %rax
    jnz          1b
    ret
.endm

/* A in place and B packing together: B's source rows at rbx, stride rbp (r12 / r13 hold lda / 3 lda); full
 * tiles only (rows = 14). */
.macro LOOP8_ADPK rows
    .p2align 5
1:  KSTEP        0, 0, \rows, "(%rbx)", 1
    KSTEP        4, 128, \rows, "(%rbx,%rbp)", 1
    prefetcht1   128(%rbx,%rbp)
    prefetcht1   192(%rbx,%rbp)
    leaq         (%rbx,%rbp,2), %rbx
    KSTEP        8, 256, \rows, "(%rbx)", 1
    prefetcht1   128(%rbx)
    prefetcht1   192(%rbx)
    KSTEP        12, 384, \rows, "(%rbx,%rbp)", 1
    prefetcht1   128(%rbx,%rbp)
    prefetcht1   192(%rbx,%rbp)
    leaq         (%rbx,%rbp,2), %rbx
    KSTEP        16, 512, \rows, "(%rbx)", 1
    prefetcht1   128(%rbx)
    prefetcht1   192(%rbx)
    KSTEP        20, 640, \rows, "(%rbx,%rbp)", 1
    prefetcht1   128(%rbx,%rbp)
    prefetcht1   192(%rbx,%rbp)
    leaq         (%rbx,%rbp,2), %rbx
    KSTEP        24, 768, \rows, "(%rbx)", 1
    prefetcht1   128(%rbx)
    prefetcht1   192(%rbx)
    KSTEP        28, 896, \rows, "(%rbx,%rbp)", 1
    prefetcht1   128(%rbx,%rbp)
    prefetcht1   192(%rbx,%rbp)
    leaq         (%rbx,%rbp,2), %rbx
    .irp r, rsi, r10, r11
    prefetcht0   256(%\r)
    prefetcht0   256(%\r,%r12)
    prefetcht0   256(%\r,%r12,2)
    prefetcht0   256(%\r,%r13)
    .endr
    prefetcht0   256(%rsi,%r12,4)
    prefetcht0   256(%r10,%r12,4)
    addq         $32, %rsi
    addq         $32, %r10
    addq         $32, %r11
    addq         $1024, %rdx
    decq         %rax
    jnz          1b
    ret
.endm

.macro LOOP1_ADPK rows
    .p2align 4
1:  KSTEP        0, 0, \rows, "(%rbx)", 1
    prefetcht1   128(%rbx)
    prefetcht1   192(%rbx)
    addq         %rbp, %rbx
    addq         $4, %rsi
    addq         $4, %r10
    addq         $4, %r11
    addq         $128, %rdx
    decq         %rax
    jnz          1b
    ret
.endm

L(loop8_r14):    LOOP8 14, 0
L(loop8_r14_pf): LOOP8 14, 1
L(loop8_r7):     LOOP8 7, 0
L(loop8_r7_pf):  LOOP8 7, 1
L(loop1_r14):    LOOP1 14
L(loop1_r7):     LOOP1 7
L(loop8_r14_pk): LOOP8 14, 1, 1, 0, r10
L(loop8_r7_pk):  LOOP8 7, 1, 1, 0, r10
L(loop1_r14_pk): LOOP1 14, 1
L(loop1_r7_pk):  LOOP1 7, 1
L(loop8_r14_ad): LOOP8 14, 0, 0, 1
L(loop1_r14_ad): LOOP1 14, 0, 1
L(loop8_adpk):   LOOP8_ADPK 14
L(loop1_adpk):   LOOP1_ADPK 14

L(tail):
    movq         (%rsp), %rax
    andq         $7, %rax
    jz           L(store)
    call         *%r15

L(store):
    movq         %rcx, %r11               /* C row pointer */
    movq         8(%r9), %rcx             /* nr, 1..32: mask = (1 << nr) - 1, low half k1, high half k2 */
    movl         $1, %eax
    shlq         %cl, %rax
    decq         %rax
    kmovd        %eax, %k1
    shrl         $16, %eax
    kmovd        %eax, %k2
    shlq         $2, %r8                  /* ldc in bytes */
    movl         24(%r9), %r10d           /* flags */
    movq         16(%r9), %rdx            /* bias */
    subq         $128, %rsp               /* the column bias: on the stack, not in the red zone (Windows has none) */
    testb        $F_BIAS_COL, %r10b
    jz           1f
    vmovups      (%rdx), %zmm30{%k1}{z}
    vmovups      64(%rdx), %zmm31{%k2}{z}
    vmovups      %zmm30, (%rsp)           /* frees zmm30 for the activations */
    vmovups      %zmm31, 64(%rsp)
1:  movq         (%r9), %rax              /* mr, 1..14 */
    STORE_ROW    0, 0, 1
    STORE_ROW    1, 2, 3
    STORE_ROW    2, 4, 5
    STORE_ROW    3, 6, 7
    STORE_ROW    4, 8, 9
    STORE_ROW    5, 10, 11
    STORE_ROW    6, 12, 13
    STORE_ROW    7, 14, 15
    STORE_ROW    8, 16, 17
    STORE_ROW    9, 18, 19
    STORE_ROW    10, 20, 21
    STORE_ROW    11, 22, 23
    STORE_ROW    12, 24, 25
    STORE_ROW    13, 26, 27
L(done):
    vzeroupper
    addq         $136, %rsp               /* column bias + kc */
    popq         %rbp
    popq         %r15
    popq         %r14
    popq         %r13
    popq         %r12
    popq         %rbx
    ret
    KERNO_ENDFUNC kerno_sgemm_14x32_avx512

    KERNO_RODATA
    .p2align 2
L(k_zero):  .float 0.0
L(k_sixth): .float 0.16666667
L(k_half):  .float 0.5
L(k_one):   .float 1.0
L(k_exp_lo): .float -87.33654
L(k_exp_hi): .float 88.37626
L(k_log2e):  .float 1.44269504
L(k_ln2_hi): .float 0.693359375
L(k_ln2_lo): .float -2.12194440e-4
L(k_p6):     .float 0.0013888889   /* 1/720 */
L(k_p5):     .float 0.008333334    /* 1/120 */
L(k_p4):     .float 0.041666668    /* 1/24 */
L(k_p3):     .float 0.16666667     /* 1/6 */
L(k_gelu_c): .float 0.044715
L(k_gelu_s): .float 1.5957691216057308

    KERNO_FILE_END
