/* FMA throughput probe for kerno_bench_fma_peak (AAPCS64):
 *   void kerno_fma_loop_neon(uint64_t iters);  iters x 24 independent 4-lane FMAs (v16-v27 accumulate,
 *   caller-saved registers only). */
#include "../asm_defs.h"

/* One FMA into v<r>: a macro, since clang's assembler does not paste \() inside .irp. */
.macro FMLA_ACC r
    fmla    v\r\().4s, v0.4s, v1.4s
.endm

    KERNO_FUNC kerno_fma_loop_neon, 5
    movi    v0.16b, #0
    movi    v1.16b, #0
    cbz     x0, 2f
1:
    .rept 2
    .irp r, 16,17,18,19,20,21,22,23,24,25,26,27
    FMLA_ACC \r
    .endr
    .endr
    subs    x0, x0, #1
    b.ne    1b
2:  ret
    KERNO_ENDFUNC kerno_fma_loop_neon

    KERNO_FILE_END
