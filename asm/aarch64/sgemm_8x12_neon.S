/* SGEMM micro-kernel, AArch64 NEON: an 8 x 12 tile of C in 24 q-register accumulators (AAPCS64).
 *
 *   void kerno_sgemm_8x12_neon(size_t kc, const float* a, const float* b, float* c, size_t ldc,
 *                              const sgemm_ukr_ctx* ctx);
 *   x0 = kc, x1 = a (kc x 8 floats, k-major packed), x2 = b (kc x 12 floats, packed), x3 = c,
 *   x4 = ldc (floats), x5 = ctx (native/gemm/sgemm_internal.h: mr 0, nr 8, bias 16, flags 24, alpha 28,
 *   beta 32, clamp_min 36, clamp_max 40, slope 44).
 *
 * Registers: row i accumulates in v(8+3i), v(9+3i), v(10+3i) (columns 0-3, 4-7, 8-11); v0-v2 hold B at depth
 * p, v3/v4 the 8 A values (fmla by element). d8-d15 are callee-saved and spilled around the kernel.
 *
 * Store: a full tile applies the epilogue (every activation included) in place. A partial tile (mr < 8 or nr < 12) goes through a staging
 * tile on the stack: the mr x nr part of C (when beta is used) and of the bias are copied in, the same
 * full-tile epilogue runs there, and the mr x nr result is copied out, so nothing outside the tile is touched.
 */
#include "../asm_defs.h"

#define F_ALPHA_BIT    0
#define F_BETA_BIT     1
#define F_BIAS_ROW_BIT 2
#define F_BIAS_COL_BIT 3
#define F_CLAMP_BIT    4
#define F_LEAKY_BIT    7
#define F_HSWISH_BIT   8
#define F_SIGMOID_BIT  9
#define F_GELU_BIT     11
#define F_EXP_MASK     0xe00   /* Sigmoid, SiLU, GELU-tanh */

.macro KSTEP
    ld1     {v0.4s, v1.4s, v2.4s}, [x2], #48
    ld1     {v3.4s, v4.4s}, [x1], #32
    fmla    v8.4s,  v0.4s, v3.s[0]
    fmla    v9.4s,  v1.4s, v3.s[0]
    fmla    v10.4s, v2.4s, v3.s[0]
    fmla    v11.4s, v0.4s, v3.s[1]
    fmla    v12.4s, v1.4s, v3.s[1]
    fmla    v13.4s, v2.4s, v3.s[1]
    fmla    v14.4s, v0.4s, v3.s[2]
    fmla    v15.4s, v1.4s, v3.s[2]
    fmla    v16.4s, v2.4s, v3.s[2]
    fmla    v17.4s, v0.4s, v3.s[3]
    fmla    v18.4s, v1.4s, v3.s[3]
    fmla    v19.4s, v2.4s, v3.s[3]
    fmla    v20.4s, v0.4s, v4.s[0]
    fmla    v21.4s, v1.4s, v4.s[0]
    fmla    v22.4s, v2.4s, v4.s[0]
    fmla    v23.4s, v0.4s, v4.s[1]
    fmla    v24.4s, v1.4s, v4.s[1]
    fmla    v25.4s, v2.4s, v4.s[1]
    fmla    v26.4s, v0.4s, v4.s[2]
    fmla    v27.4s, v1.4s, v4.s[2]
    fmla    v28.4s, v2.4s, v4.s[2]
    fmla    v29.4s, v0.4s, v4.s[3]
    fmla    v30.4s, v1.4s, v4.s[3]
    fmla    v31.4s, v2.4s, v4.s[3]
.endm

/* LeakyReLU of v r in place (v3 = slope): negative lanes take r * slope. v0/v1 scratch. */
.macro LEAKY4 r
    fmul    v0.4s, v\r\().4s, v3.4s
    fcmlt   v1.4s, v\r\().4s, #0.0
    bit     v\r\().16b, v0.16b, v1.16b
.endm

/* HardSwish of v r in place (v3 = 1/6, v4 = 1/2): r * min(max(1/2 + r / 6, 0), 1). v0/v1 scratch. */
.macro HSWISH4 r
    mov     v0.16b, v4.16b
    fmla    v0.4s, v\r\().4s, v3.4s
    movi    v1.4s, #0
    fmax    v0.4s, v0.4s, v1.4s
    fmov    v1.4s, #1.0
    fmin    v0.4s, v0.4s, v1.4s
    fmul    v\r\().4s, v\r\().4s, v0.4s
.endm

/* Sigmoid, SiLU or GELU-tanh (flags w10) of v x in place, the same operations in the same order as
 * native/gemm/sgemm_8x12_neon.c's act_ps: sigmoid(z) = 1 / (1 + exp(-z)), exp(-z) = 2^n e^r with
 * n = round(-z log2 e), r by Cody-Waite, e^r by its degree-6 Taylor polynomial (Horner alternating between v2
 * and v4, constants from L(k_exp) in order). v0-v2, v4 and x17 scratch. */
.macro ACT_EXP4 x
    KERNO_ADDR x17, L(k_exp)
    tbz     w10, #F_GELU_BIT, 11f
    fmul    v0.4s, v\x\().4s, v\x\().4s
    fmul    v0.4s, v0.4s, v\x\().4s
    mov     v1.16b, v\x\().16b
    ld1r    {v2.4s}, [x17], #4
    fmla    v1.4s, v0.4s, v2.4s         /* x + 0.044715 x^3 */
    ld1r    {v2.4s}, [x17], #4
    fmul    v0.4s, v1.4s, v2.4s
    fneg    v0.4s, v0.4s                /* z = -u */
    b       12f
11: add     x17, x17, #8
    fneg    v0.4s, v\x\().4s           /* z = -x */
12: ld1r    {v2.4s}, [x17], #4
    fmax    v0.4s, v0.4s, v2.4s
    ld1r    {v2.4s}, [x17], #4
    fmin    v0.4s, v0.4s, v2.4s
    ld1r    {v2.4s}, [x17], #4
    fmul    v1.4s, v0.4s, v2.4s
    frintn  v1.4s, v1.4s                /* n */
    ld1r    {v2.4s}, [x17], #4
    fmls    v0.4s, v1.4s, v2.4s
    ld1r    {v2.4s}, [x17], #4
    fmls    v0.4s, v1.4s, v2.4s         /* r = z - n ln 2 */
    ld1r    {v2.4s}, [x17], #4          /* p = 1/720 */
    ld1r    {v4.4s}, [x17], #4
    fmla    v4.4s, v2.4s, v0.4s
    ld1r    {v2.4s}, [x17], #4
    fmla    v2.4s, v4.4s, v0.4s
    ld1r    {v4.4s}, [x17], #4
    fmla    v4.4s, v2.4s, v0.4s
    ld1r    {v2.4s}, [x17], #4
    fmla    v2.4s, v4.4s, v0.4s
    ld1r    {v4.4s}, [x17], #4
    fmla    v4.4s, v2.4s, v0.4s
    ld1r    {v2.4s}, [x17], #4
    fmla    v2.4s, v4.4s, v0.4s         /* e^r */
    fcvtzs  v1.4s, v1.4s
    ld1r    {v4.4s}, [x17], #4
    add     v1.4s, v1.4s, v4.4s
    shl     v1.4s, v1.4s, #23           /* 2^n */
    fmul    v2.4s, v2.4s, v1.4s
    fmov    v4.4s, #1.0
    fadd    v2.4s, v4.4s, v2.4s
    fdiv    v0.4s, v4.4s, v2.4s         /* sigmoid */
    tbz     w10, #F_SIGMOID_BIT, 13f
    mov     v\x\().16b, v0.16b
    b       14f
13: fmul    v\x\().4s, v\x\().4s, v0.4s
14:
.endm

/* Epilogue of row i (v r0..r2) at x11 (row stride x12 bytes). w10 = flags, x13 = bias, v5 = alpha, beta,
 * clamp_min, clamp_max; v6/v7 = row bias of rows 0-3 / 4-7 (lane \bl of v\bv); v3/v4 = clamp min/max, or
 * the LeakyReLU slope, or HardSwish's 1/6 and 1/2. */
.macro ROW r0, r1, r2, bv, bl
    tbz     w10, #F_ALPHA_BIT, 1f
    fmul    v\r0\().4s, v\r0\().4s, v5.s[0]
    fmul    v\r1\().4s, v\r1\().4s, v5.s[0]
    fmul    v\r2\().4s, v\r2\().4s, v5.s[0]
1:  tbz     w10, #F_BETA_BIT, 2f
    ld1     {v0.4s, v1.4s, v2.4s}, [x11]
    fmla    v\r0\().4s, v0.4s, v5.s[1]
    fmla    v\r1\().4s, v1.4s, v5.s[1]
    fmla    v\r2\().4s, v2.4s, v5.s[1]
2:  tbz     w10, #F_BIAS_ROW_BIT, 3f
    dup     v0.4s, v\bv\().s[\bl]
    fadd    v\r0\().4s, v\r0\().4s, v0.4s
    fadd    v\r1\().4s, v\r1\().4s, v0.4s
    fadd    v\r2\().4s, v\r2\().4s, v0.4s
3:  tbz     w10, #F_BIAS_COL_BIT, 4f
    ld1     {v0.4s, v1.4s, v2.4s}, [x13]
    fadd    v\r0\().4s, v\r0\().4s, v0.4s
    fadd    v\r1\().4s, v\r1\().4s, v1.4s
    fadd    v\r2\().4s, v\r2\().4s, v2.4s
4:  tbz     w10, #F_CLAMP_BIT, 5f
    fmax    v\r0\().4s, v\r0\().4s, v3.4s
    fmax    v\r1\().4s, v\r1\().4s, v3.4s
    fmax    v\r2\().4s, v\r2\().4s, v3.4s
    fmin    v\r0\().4s, v\r0\().4s, v4.4s
    fmin    v\r1\().4s, v\r1\().4s, v4.4s
    fmin    v\r2\().4s, v\r2\().4s, v4.4s
5:  tbz     w10, #F_LEAKY_BIT, 6f
    LEAKY4  \r0
    LEAKY4  \r1
    LEAKY4  \r2
6:  tbz     w10, #F_HSWISH_BIT, 7f
    HSWISH4 \r0
    HSWISH4 \r1
    HSWISH4 \r2
7:  tst     w10, #F_EXP_MASK
    b.eq    8f
    ACT_EXP4 \r0
    ACT_EXP4 \r1
    ACT_EXP4 \r2
8:  st1     {v\r0\().4s, v\r1\().4s, v\r2\().4s}, [x11]
    add     x11, x11, x12
.endm

/* The full 8 x 12 epilogue at x11 / x12 / x13. */
.macro TILE_EPILOGUE
    ldr     q5, [x5, #28]
    tbz     w10, #F_BIAS_ROW_BIT, 6f
    ld1     {v6.4s, v7.4s}, [x13]
6:  dup     v3.4s, v5.s[2]
    dup     v4.4s, v5.s[3]
    tbz     w10, #F_LEAKY_BIT, 7f
    add     x16, x5, #44
    ld1r    {v3.4s}, [x16]              /* LeakyReLU slope */
7:  tbz     w10, #F_HSWISH_BIT, 8f
    movz    w16, #0xaaab
    movk    w16, #0x3e2a, lsl #16
    dup     v3.4s, w16                  /* 1/6 */
    fmov    v4.4s, #0.5
8:
    ROW     8, 9, 10, 6, 0
    ROW     11, 12, 13, 6, 1
    ROW     14, 15, 16, 6, 2
    ROW     17, 18, 19, 6, 3
    ROW     20, 21, 22, 7, 0
    ROW     23, 24, 25, 7, 1
    ROW     26, 27, 28, 7, 2
    ROW     29, 30, 31, 7, 3
.endm

/* Copy x6 rows x x7 floats from \src (row stride \ss bytes) to \dst (row stride \ds bytes). */
.macro COPY_TILE src, ss, dst, ds
    mov     x14, \src
    mov     x15, \dst
    mov     x16, x6
7:  mov     x17, #0
8:  ldr     s0, [x14, x17, lsl #2]
    str     s0, [x15, x17, lsl #2]
    add     x17, x17, #1
    cmp     x17, x7
    b.lo    8b
    add     x14, x14, \ss
    add     x15, x15, \ds
    subs    x16, x16, #1
    b.ne    7b
.endm

    KERNO_FUNC kerno_sgemm_8x12_neon, 6
    stp     d8, d9, [sp, #-64]!
    stp     d10, d11, [sp, #16]
    stp     d12, d13, [sp, #32]
    stp     d14, d15, [sp, #48]
    .irp r, 8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi    v\r\().16b, #0
    .endr

    lsr     x9, x0, #2
    cbz     x9, L(tail)
L(loop4):
    prfm    pldl1keep, [x1, #256]
    prfm    pldl1keep, [x2, #384]
    KSTEP
    KSTEP
    prfm    pldl1keep, [x2, #448]
    KSTEP
    KSTEP
    subs    x9, x9, #1
    b.ne    L(loop4)
L(tail):
    ands    x0, x0, #3
    b.eq    L(store)
L(loop1):
    KSTEP
    subs    x0, x0, #1
    b.ne    L(loop1)

L(store):
    ldp     x6, x7, [x5]                /* mr, nr */
    ldr     x13, [x5, #16]              /* bias */
    ldr     w10, [x5, #24]              /* flags */
    lsl     x4, x4, #2                  /* ldc in bytes */
    cmp     x6, #8
    b.ne    L(partial)
    cmp     x7, #12
    b.ne    L(partial)
    mov     x11, x3
    mov     x12, x4
    TILE_EPILOGUE
    b       L(done)

L(partial):
    /* staging: tile 8 x 48 bytes at sp, column bias 48 bytes at sp + 384, row bias 32 bytes at sp + 432 */
    sub     sp, sp, #464
    tbz     w10, #F_BETA_BIT, 1f
    mov     x9, sp
    mov     x12, #48
    COPY_TILE x3, x4, x9, x12
1:  tbz     w10, #F_BIAS_COL_BIT, 2f
    mov     x14, #0
9:  ldr     s0, [x13, x14, lsl #2]
    add     x15, sp, #384
    str     s0, [x15, x14, lsl #2]
    add     x14, x14, #1
    cmp     x14, x7
    b.lo    9b
    add     x13, sp, #384
2:  tbz     w10, #F_BIAS_ROW_BIT, 3f
    mov     x14, #0
9:  ldr     s0, [x13, x14, lsl #2]
    add     x15, sp, #432
    str     s0, [x15, x14, lsl #2]
    add     x14, x14, #1
    cmp     x14, x6
    b.lo    9b
    add     x13, sp, #432
3:  mov     x11, sp
    mov     x12, #48
    TILE_EPILOGUE
    mov     x9, sp
    mov     x12, #48
    COPY_TILE x9, x12, x3, x4
    add     sp, sp, #464

L(done):
    ldp     d14, d15, [sp, #48]
    ldp     d12, d13, [sp, #32]
    ldp     d10, d11, [sp, #16]
    ldp     d8, d9, [sp], #64
    ret
    KERNO_ENDFUNC kerno_sgemm_8x12_neon

    KERNO_RODATA
    .p2align 2
/* ACT_EXP4's constants in the order it loads them (GELU's two first, skipped otherwise) */
L(k_exp):
    .float 0.044715, 1.5957691216057308
    .float -87.33654, 88.37626, 1.44269504, 0.693359375, -2.12194440e-4
    .float 0.0013888889, 0.008333334, 0.041666668, 0.16666667, 0.5, 1.0, 1.0   /* 1/720 .. 1 */
    .long 127

    KERNO_FILE_END
