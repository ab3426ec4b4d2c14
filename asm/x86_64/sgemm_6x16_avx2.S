/* SGEMM micro-kernel, AVX2 + FMA: a 6 x 16 tile of C in 12 ymm accumulators (System V AMD64 ABI).
 *
 *   void kerno_sgemm_6x16_avx2(size_t kc, const float* a, const float* b, float* c, size_t ldc,
 *                              const sgemm_ukr_ctx* ctx);
 *   rdi = kc, rsi = a (kc x 6 floats, k-major packed), rdx = b (kc x 16 floats, packed), rcx = c,
 *   r8 = ldc (floats), r9 = ctx (native/gemm/sgemm_internal.h: mr 0, nr 8, bias 16, flags 24, alpha 28,
 *   beta 32, clamp_min 36, clamp_max 40, slope 44).
 *
 * Registers: ymm0..ymm11 accumulate row i in ymm(2i) (columns 0-7) and ymm(2i+1) (8-15); ymm12/13 hold B
 * at depth p, ymm14/15 alternate as the broadcast of A[i][p]: 2 loads + 6 broadcasts per 12 FMAs.
 *
 * The store applies the epilogue flags (every activation included) and writes ctx->mr rows; a full-width tile uses plain moves, a
 * partial one (nr < 16) vmaskmovps with ymm12/13 as lane masks, so nothing outside the tile is touched.
 */
#include "../asm_defs.h"

#define F_ALPHA    1
#define F_BETA     2
#define F_BIAS_ROW 4
#define F_BIAS_COL 8
#define F_CLAMP    16
#define F_LEAKY    128
#define F_HSWISH   256
#define F_SIGMOID  512
#define F_SILU     1024
#define F_GELU     2048

.macro KSTEP aoff, boff
    vmovups      \boff(%rdx), %ymm12
    vmovups      \boff+32(%rdx), %ymm13
    vbroadcastss \aoff+0(%rsi), %ymm14
    vfmadd231ps  %ymm12, %ymm14, %ymm0
    vfmadd231ps  %ymm13, %ymm14, %ymm1
    vbroadcastss \aoff+4(%rsi), %ymm15
    vfmadd231ps  %ymm12, %ymm15, %ymm2
    vfmadd231ps  %ymm13, %ymm15, %ymm3
    vbroadcastss \aoff+8(%rsi), %ymm14
    vfmadd231ps  %ymm12, %ymm14, %ymm4
    vfmadd231ps  %ymm13, %ymm14, %ymm5
    vbroadcastss \aoff+12(%rsi), %ymm15
    vfmadd231ps  %ymm12, %ymm15, %ymm6
    vfmadd231ps  %ymm13, %ymm15, %ymm7
    vbroadcastss \aoff+16(%rsi), %ymm14
    vfmadd231ps  %ymm12, %ymm14, %ymm8
    vfmadd231ps  %ymm13, %ymm14, %ymm9
    vbroadcastss \aoff+20(%rsi), %ymm15
    vfmadd231ps  %ymm12, %ymm15, %ymm10
    vfmadd231ps  %ymm13, %ymm15, %ymm11
.endm

/* Load 8 floats at \mem into \dst: masked by \mask when \masked. */
.macro LOAD8 masked, mem, mask, dst
    .if \masked
    vmaskmovps   \mem, \mask, \dst
    .else
    vmovups      \mem, \dst
    .endif
.endm

/* HardSwish of ymm r in place: r * min(max(r / 6 + 1/2, 0), 1); ymm14/15 scratch. */
.macro HSWISH8 r
    vbroadcastss L(k_sixth)(%rip), %ymm14
    vmulps       %ymm14, %ymm\r, %ymm15
    vbroadcastss L(k_half)(%rip), %ymm14
    vaddps       %ymm14, %ymm15, %ymm15
    vxorps       %ymm14, %ymm14, %ymm14
    vmaxps       %ymm14, %ymm15, %ymm15
    vbroadcastss L(k_one)(%rip), %ymm14
    vminps       %ymm14, %ymm15, %ymm15
    vmulps       %ymm15, %ymm\r, %ymm\r
.endm

/* Sigmoid, SiLU or GELU-tanh (flags r10d) of ymm x in place, the same operations in the same order as
 * native/gemm/sgemm_6x16_avx2.c's act_ps: sigmoid(z) = 1 / (1 + exp(-z)), exp(-z) = 2^n e^r with
 * n = round(-z log2 e), r by Cody-Waite, e^r by its degree-6 Taylor polynomial. ymm12-15 scratch (the caller
 * reloads the lane masks). */
.macro ACT_EXP8 x
    testl        $F_GELU, %r10d
    jz           11f
    vmulps       %ymm\x, %ymm\x, %ymm12
    vmulps       %ymm\x, %ymm12, %ymm12
    vbroadcastss L(k_gelu_c)(%rip), %ymm13
    vfmadd213ps  %ymm\x, %ymm13, %ymm12      /* x^3 * 0.044715 + x */
    vbroadcastss L(k_gelu_s)(%rip), %ymm13
    vmulps       %ymm13, %ymm12, %ymm12
    vxorps       %ymm13, %ymm13, %ymm13
    vsubps       %ymm12, %ymm13, %ymm12      /* z = -u */
    jmp          12f
11: vxorps       %ymm12, %ymm12, %ymm12
    vsubps       %ymm\x, %ymm12, %ymm12      /* z = -x */
12: vbroadcastss L(k_exp_lo)(%rip), %ymm15
    vmaxps       %ymm15, %ymm12, %ymm12
    vbroadcastss L(k_exp_hi)(%rip), %ymm15
    vminps       %ymm15, %ymm12, %ymm12
    vbroadcastss L(k_log2e)(%rip), %ymm15
    vmulps       %ymm15, %ymm12, %ymm13
    vroundps     $8, %ymm13, %ymm13           /* n, to nearest */
    vbroadcastss L(k_ln2_hi)(%rip), %ymm15
    vfnmadd231ps %ymm15, %ymm13, %ymm12
    vbroadcastss L(k_ln2_lo)(%rip), %ymm15
    vfnmadd231ps %ymm15, %ymm13, %ymm12      /* r = z - n ln 2 */
    vbroadcastss L(k_p6)(%rip), %ymm14
    vbroadcastss L(k_p5)(%rip), %ymm15
    vfmadd213ps  %ymm15, %ymm12, %ymm14
    vbroadcastss L(k_p4)(%rip), %ymm15
    vfmadd213ps  %ymm15, %ymm12, %ymm14
    vbroadcastss L(k_p3)(%rip), %ymm15
    vfmadd213ps  %ymm15, %ymm12, %ymm14
    vbroadcastss L(k_half)(%rip), %ymm15
    vfmadd213ps  %ymm15, %ymm12, %ymm14
    vbroadcastss L(k_one)(%rip), %ymm15
    vfmadd213ps  %ymm15, %ymm12, %ymm14
    vfmadd213ps  %ymm15, %ymm12, %ymm14
    vcvtps2dq    %ymm13, %ymm13
    vpbroadcastd L(k_bias127)(%rip), %ymm12
    vpaddd       %ymm12, %ymm13, %ymm13
    vpslld       $23, %ymm13, %ymm13          /* 2^n */
    vmulps       %ymm13, %ymm14, %ymm14      /* e^z */
    vaddps       %ymm15, %ymm14, %ymm14
    vdivps       %ymm14, %ymm15, %ymm12      /* sigmoid = 1 / (1 + e^z) */
    testl        $F_SIGMOID, %r10d
    jz           13f
    vmovaps      %ymm12, %ymm\x
    jmp          14f
13: vmulps       %ymm12, %ymm\x, %ymm\x
14:
.endm

/* Epilogue and store of row i (ymm r0, ymm r1) at r11; stops at row mr (rax).
 * r10d = flags, rdx = bias, r8 = ldc in bytes, ymm14/15 scratch. */
.macro STORE_ROW masked, i, r0, r1, done
    cmpq         $\i, %rax
    jbe          \done
    testb        $F_ALPHA, %r10b
    jz           1f
    vbroadcastss 28(%r9), %ymm14
    vmulps       %ymm14, %ymm\r0, %ymm\r0
    vmulps       %ymm14, %ymm\r1, %ymm\r1
1:  testb        $F_BETA, %r10b
    jz           2f
    vbroadcastss 32(%r9), %ymm15
    LOAD8        \masked, (%r11), %ymm12, %ymm14
    vfmadd231ps  %ymm15, %ymm14, %ymm\r0
    LOAD8        \masked, 32(%r11), %ymm13, %ymm14
    vfmadd231ps  %ymm15, %ymm14, %ymm\r1
2:  testb        $F_BIAS_ROW, %r10b
    jz           3f
    vbroadcastss (4*\i)(%rdx), %ymm14
    vaddps       %ymm14, %ymm\r0, %ymm\r0
    vaddps       %ymm14, %ymm\r1, %ymm\r1
3:  testb        $F_BIAS_COL, %r10b
    jz           4f
    LOAD8        \masked, (%rdx), %ymm12, %ymm14
    vaddps       %ymm14, %ymm\r0, %ymm\r0
    LOAD8        \masked, 32(%rdx), %ymm13, %ymm14
    vaddps       %ymm14, %ymm\r1, %ymm\r1
4:  testb        $F_CLAMP, %r10b
    jz           5f
    vbroadcastss 36(%r9), %ymm14
    vbroadcastss 40(%r9), %ymm15
    vmaxps       %ymm14, %ymm\r0, %ymm\r0
    vmaxps       %ymm14, %ymm\r1, %ymm\r1
    vminps       %ymm15, %ymm\r0, %ymm\r0
    vminps       %ymm15, %ymm\r1, %ymm\r1
5:  testb        $F_LEAKY, %r10b
    jz           6f
    vbroadcastss 44(%r9), %ymm14          /* negative lanes (sign set) take x * slope */
    vmulps       %ymm14, %ymm\r0, %ymm15
    vblendvps    %ymm\r0, %ymm15, %ymm\r0, %ymm\r0
    vmulps       %ymm14, %ymm\r1, %ymm15
    vblendvps    %ymm\r1, %ymm15, %ymm\r1, %ymm\r1
6:  testl        $F_HSWISH, %r10d
    jz           7f
    HSWISH8      \r0
    HSWISH8      \r1
7:  testl        $(F_SIGMOID | F_SILU | F_GELU), %r10d
    jz           8f
    ACT_EXP8     \r0
    ACT_EXP8     \r1
    .if \masked
    vmovdqu      (%rdi), %ymm12
    vmovdqu      32(%rdi), %ymm13
    .endif
8:
    .if \masked
    vmaskmovps   %ymm\r0, %ymm12, (%r11)
    vmaskmovps   %ymm\r1, %ymm13, 32(%r11)
    .else
    vmovups      %ymm\r0, (%r11)
    vmovups      %ymm\r1, 32(%r11)
    .endif
    addq         %r8, %r11
.endm

.macro STORE_TILE masked, done
    STORE_ROW    \masked, 0, 0, 1, \done
    STORE_ROW    \masked, 1, 2, 3, \done
    STORE_ROW    \masked, 2, 4, 5, \done
    STORE_ROW    \masked, 3, 6, 7, \done
    STORE_ROW    \masked, 4, 8, 9, \done
    STORE_ROW    \masked, 5, 10, 11, \done
.endm

    KERNO_RODATA
    .p2align 6
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
L(k_bias127): .long 127
    .p2align 6
/* 16 x -1 then 16 x 0: lanes j..j+7 of the mask "first nr lanes" start at byte 4 * (16 - nr + j). */
L(mask_table):
    .rept 16
    .long -1
    .endr
    .rept 16
    .long 0
    .endr

    KERNO_FUNC kerno_sgemm_6x16_avx2, 6
    vxorps       %xmm0, %xmm0, %xmm0
    vxorps       %xmm1, %xmm1, %xmm1
    vxorps       %xmm2, %xmm2, %xmm2
    vxorps       %xmm3, %xmm3, %xmm3
    vxorps       %xmm4, %xmm4, %xmm4
    vxorps       %xmm5, %xmm5, %xmm5
    vxorps       %xmm6, %xmm6, %xmm6
    vxorps       %xmm7, %xmm7, %xmm7
    vxorps       %xmm8, %xmm8, %xmm8
    vxorps       %xmm9, %xmm9, %xmm9
    vxorps       %xmm10, %xmm10, %xmm10
    vxorps       %xmm11, %xmm11, %xmm11

    leaq         (,%r8,4), %r10
    movq         %rcx, %r11
    .rept 6
    prefetcht0   (%r11)
    prefetcht0   60(%r11)
    addq         %r10, %r11
    .endr

    movq         %rdi, %rax
    shrq         $2, %rax
    jz           L(tail)
    .p2align 5
L(loop4):
    prefetcht0   384(%rsi)
    KSTEP        0, 0
    KSTEP        24, 64
    prefetcht0   448(%rsi)
    KSTEP        48, 128
    KSTEP        72, 192
    addq         $96, %rsi
    addq         $256, %rdx
    decq         %rax
    jnz          L(loop4)
L(tail):
    andq         $3, %rdi
    jz           L(store)
L(loop1):
    KSTEP        0, 0
    addq         $24, %rsi
    addq         $64, %rdx
    decq         %rdi
    jnz          L(loop1)

L(store):
    movq         %rcx, %r11               /* C row pointer */
    shlq         $2, %r8                  /* ldc in bytes */
    movl         24(%r9), %r10d           /* flags */
    movq         16(%r9), %rdx            /* bias */
    movq         8(%r9), %rcx             /* nr */
    movq         (%r9), %rax              /* mr */
    cmpq         $16, %rcx
    jb           L(partial)
    STORE_TILE   0, L(done)
    jmp          L(done)
L(partial):
    leaq         L(mask_table)+64(%rip), %rdi
    shlq         $2, %rcx
    subq         %rcx, %rdi               /* table + 4 * (16 - nr) */
    vmovdqu      (%rdi), %ymm12
    vmovdqu      32(%rdi), %ymm13
    STORE_TILE   1, L(done)
L(done):
    vzeroupper
    ret
    KERNO_ENDFUNC kerno_sgemm_6x16_avx2

    KERNO_FILE_END
