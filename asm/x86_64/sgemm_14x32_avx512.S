/* SGEMM micro-kernel, AVX-512: a 14 x 32 tile of C in 28 zmm accumulators (System V AMD64 ABI).
 *
 *   void kerno_sgemm_14x32_avx512(size_t kc, const float* a, const float* b, float* c, size_t ldc,
 *                                 const sgemm_ukr_ctx* ctx);
 *   rdi = kc, rsi = a (kc x 14 floats, k-major packed), rdx = b (kc x 32 floats, packed), rcx = c,
 *   r8 = ldc (floats), r9 = ctx (native/gemm/sgemm_internal.h: mr 0, nr 8, bias 16, flags 24, alpha 28,
 *   beta 32, clamp_min 36, clamp_max 40).
 *
 * Registers: zmm0..zmm27 accumulate row i in zmm(2i) (columns 0-15) and zmm(2i+1) (16-31); zmm28/29 hold
 * the 32 floats of B at depth p; zmm30/31 alternate as the broadcast of A[i][p]. Per depth step: 2 B loads,
 * 14 broadcasts, 28 FMAs, so the two FMA pipes, not the load ports, bound the loop.
 *
 * The store applies the epilogue flags (alpha, beta * C, row / column bias, clamp) and writes ctx->mr rows
 * of ctx->nr columns with k1 / k2 write masks; masked loads of C and the bias never touch memory outside
 * the tile. C is not read unless SGEMM_F_BETA is set.
 */
#define F_ALPHA    1
#define F_BETA     2
#define F_BIAS_ROW 4
#define F_BIAS_COL 8
#define F_CLAMP    16
#define C_AHEAD    8  /* depth iterations (x4 steps) before the end at which C is pulled into L1 */

/* One depth step at byte offsets aoff into the A panel and boff into the B panel. */
.macro KSTEP aoff, boff
    vmovups      \boff(%rdx), %zmm28
    vmovups      \boff+64(%rdx), %zmm29
    vbroadcastss \aoff+0(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm0
    vfmadd231ps  %zmm29, %zmm30, %zmm1
    vbroadcastss \aoff+4(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm2
    vfmadd231ps  %zmm29, %zmm31, %zmm3
    vbroadcastss \aoff+8(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm4
    vfmadd231ps  %zmm29, %zmm30, %zmm5
    vbroadcastss \aoff+12(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm6
    vfmadd231ps  %zmm29, %zmm31, %zmm7
    vbroadcastss \aoff+16(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm8
    vfmadd231ps  %zmm29, %zmm30, %zmm9
    vbroadcastss \aoff+20(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm10
    vfmadd231ps  %zmm29, %zmm31, %zmm11
    vbroadcastss \aoff+24(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm12
    vfmadd231ps  %zmm29, %zmm30, %zmm13
    vbroadcastss \aoff+28(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm14
    vfmadd231ps  %zmm29, %zmm31, %zmm15
    vbroadcastss \aoff+32(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm16
    vfmadd231ps  %zmm29, %zmm30, %zmm17
    vbroadcastss \aoff+36(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm18
    vfmadd231ps  %zmm29, %zmm31, %zmm19
    vbroadcastss \aoff+40(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm20
    vfmadd231ps  %zmm29, %zmm30, %zmm21
    vbroadcastss \aoff+44(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm22
    vfmadd231ps  %zmm29, %zmm31, %zmm23
    vbroadcastss \aoff+48(%rsi), %zmm30
    vfmadd231ps  %zmm28, %zmm30, %zmm24
    vfmadd231ps  %zmm29, %zmm30, %zmm25
    vbroadcastss \aoff+52(%rsi), %zmm31
    vfmadd231ps  %zmm28, %zmm31, %zmm26
    vfmadd231ps  %zmm29, %zmm31, %zmm27
.endm

/* Epilogue and store of row i (accumulators zmm r0, zmm r1) at r11; stops at row mr (rax).
 * r10d = flags, rdx = bias, r8 = ldc in bytes, zmm30/31 = column bias (masked), k1/k2 = column masks. */
.macro STORE_ROW i, r0, r1
    cmpq         $\i, %rax
    jbe          .Ldone
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
    vaddps       %zmm30, %zmm\r0, %zmm\r0
    vaddps       %zmm31, %zmm\r1, %zmm\r1
4:  testb        $F_CLAMP, %r10b
    jz           5f
    vmaxps       36(%r9){1to16}, %zmm\r0, %zmm\r0
    vmaxps       36(%r9){1to16}, %zmm\r1, %zmm\r1
    vminps       40(%r9){1to16}, %zmm\r0, %zmm\r0
    vminps       40(%r9){1to16}, %zmm\r1, %zmm\r1
5:  vmovups      %zmm\r0, (%r11){%k1}
    vmovups      %zmm\r1, 64(%r11){%k2}
    addq         %r8, %r11
.endm

    .text
    .globl  kerno_sgemm_14x32_avx512
    .hidden kerno_sgemm_14x32_avx512
    .type   kerno_sgemm_14x32_avx512, @function
    .p2align 6
kerno_sgemm_14x32_avx512:
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27
    vpxord       %zmm\r, %zmm\r, %zmm\r
    .endr

    /* C tile (14 rows x 128 bytes): into L2 now, into L1 (for writing) two iterations before the end of the
     * depth loop. Fetched into L1 early, a power-of-two ldc puts its 28 lines into two 12-way L1 sets,
     * where they evict each other (and the B micro-panel) long before the store needs them. */
    leaq         (,%r8,4), %r10
    movq         %rcx, %r11
    .rept 14
    prefetcht1   (%r11)
    prefetcht1   64(%r11)
    addq         %r10, %r11
    .endr

    /* rows 0-6 of C into L1 C_AHEAD iterations before the end, rows 7-13 half as many: spread out, the
     * prefetches do not run out of miss buffers (and get dropped) */
    movq         %rdi, %rax
    shrq         $2, %rax
    cmpq         $C_AHEAD, %rax
    jbe          .Lwarm_c0
    subq         $C_AHEAD, %rax
    call         .Lloop4
    movq         $C_AHEAD, %rax
.Lwarm_c0:
    movq         %rcx, %r11
    .rept 7
    prefetchw    (%r11)
    prefetchw    64(%r11)
    addq         %r10, %r11
    .endr
    cmpq         $C_AHEAD/2, %rax
    jbe          .Lwarm_c1
    subq         $C_AHEAD/2, %rax
    call         .Lloop4
    movq         $C_AHEAD/2, %rax
.Lwarm_c1:
    .rept 7
    prefetchw    (%r11)
    prefetchw    64(%r11)
    addq         %r10, %r11
    .endr
    testq        %rax, %rax
    jz           .Ltail
    call         .Lloop4
    jmp          .Ltail

/* rax (> 0) iterations of 4 depth steps, advancing rsi / rdx: a local subroutine, so the loop body exists once. */
    .p2align 5
.Lloop4:
    prefetcht0   448(%rsi)
    prefetcht0   512(%rsi)
    KSTEP        0, 0
    prefetcht0   576(%rsi)
    KSTEP        56, 128
    prefetcht0   640(%rsi)
    KSTEP        112, 256
    KSTEP        168, 384
    addq         $224, %rsi
    addq         $512, %rdx
    decq         %rax
    jnz          .Lloop4
    ret

.Ltail:
    andq         $3, %rdi
    jz           .Lstore
.Lloop1:
    KSTEP        0, 0
    addq         $56, %rsi
    addq         $128, %rdx
    decq         %rdi
    jnz          .Lloop1

.Lstore:
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
    testb        $F_BIAS_COL, %r10b
    jz           1f
    vmovups      (%rdx), %zmm30{%k1}{z}
    vmovups      64(%rdx), %zmm31{%k2}{z}
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
.Ldone:
    vzeroupper
    ret
    .size   kerno_sgemm_14x32_avx512, .-kerno_sgemm_14x32_avx512

    .section .note.GNU-stack, "", @progbits
