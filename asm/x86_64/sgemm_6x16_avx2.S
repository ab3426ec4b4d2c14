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
 * The store applies the epilogue flags (LeakyReLU and HardSwish included) and writes ctx->mr rows; a full-width tile uses plain moves, a
 * partial one (nr < 16) vmaskmovps with ymm12/13 as lane masks, so nothing outside the tile is touched.
 */
#define F_ALPHA    1
#define F_BETA     2
#define F_BIAS_ROW 4
#define F_BIAS_COL 8
#define F_CLAMP    16
#define F_LEAKY    128
#define F_HSWISH   256

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
    vbroadcastss .Lk_sixth(%rip), %ymm14
    vmulps       %ymm14, %ymm\r, %ymm15
    vbroadcastss .Lk_half(%rip), %ymm14
    vaddps       %ymm14, %ymm15, %ymm15
    vxorps       %ymm14, %ymm14, %ymm14
    vmaxps       %ymm14, %ymm15, %ymm15
    vbroadcastss .Lk_one(%rip), %ymm14
    vminps       %ymm14, %ymm15, %ymm15
    vmulps       %ymm15, %ymm\r, %ymm\r
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
7:
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

    .section .rodata
    .p2align 6
.Lk_sixth: .float 0.16666667
.Lk_half:  .float 0.5
.Lk_one:   .float 1.0
    .p2align 6
/* 16 x -1 then 16 x 0: lanes j..j+7 of the mask "first nr lanes" start at byte 4 * (16 - nr + j). */
.Lmask_table:
    .rept 16
    .long -1
    .endr
    .rept 16
    .long 0
    .endr

    .text
    .globl  kerno_sgemm_6x16_avx2
    .hidden kerno_sgemm_6x16_avx2
    .type   kerno_sgemm_6x16_avx2, @function
    .p2align 6
kerno_sgemm_6x16_avx2:
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
    jz           .Ltail
    .p2align 5
.Lloop4:
    prefetcht0   384(%rsi)
    KSTEP        0, 0
    KSTEP        24, 64
    prefetcht0   448(%rsi)
    KSTEP        48, 128
    KSTEP        72, 192
    addq         $96, %rsi
    addq         $256, %rdx
    decq         %rax
    jnz          .Lloop4
.Ltail:
    andq         $3, %rdi
    jz           .Lstore
.Lloop1:
    KSTEP        0, 0
    addq         $24, %rsi
    addq         $64, %rdx
    decq         %rdi
    jnz          .Lloop1

.Lstore:
    movq         %rcx, %r11               /* C row pointer */
    shlq         $2, %r8                  /* ldc in bytes */
    movl         24(%r9), %r10d           /* flags */
    movq         16(%r9), %rdx            /* bias */
    movq         8(%r9), %rcx             /* nr */
    movq         (%r9), %rax              /* mr */
    cmpq         $16, %rcx
    jb           .Lpartial
    STORE_TILE   0, .Ldone
    jmp          .Ldone
.Lpartial:
    leaq         .Lmask_table+64(%rip), %rdi
    shlq         $2, %rcx
    subq         %rcx, %rdi               /* table + 4 * (16 - nr) */
    vmovdqu      (%rdi), %ymm12
    vmovdqu      32(%rdi), %ymm13
    STORE_TILE   1, .Ldone
.Ldone:
    vzeroupper
    ret
    .size   kerno_sgemm_6x16_avx2, .-kerno_sgemm_6x16_avx2

    .section .note.GNU-stack, "", @progbits
