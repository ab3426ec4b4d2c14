/* FMA throughput probes for kerno_bench_fma_peak (System V AMD64 ABI):
 *   void kerno_fma_loop_avx2(uint64_t iters);    iters x 24 independent ymm FMAs
 *   void kerno_fma_loop_avx512(uint64_t iters);  iters x 24 independent zmm FMAs
 * 12 accumulators cover FMA latency x pipes on current cores (4 cycles x 2 pipes = 8). */
#include "../asm_defs.h"

.macro FMA12 v
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()0
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()1
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()2
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()3
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()4
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()5
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()6
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()7
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()8
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()9
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()10
    vfmadd231ps  %\v\()14, %\v\()15, %\v\()11
.endm

    KERNO_FUNC kerno_fma_loop_avx2, 5
    vxorps       %xmm14, %xmm14, %xmm14
    vxorps       %xmm15, %xmm15, %xmm15
    test         %rdi, %rdi
    jz           2f
1:  FMA12        ymm
    FMA12        ymm
    decq         %rdi
    jnz          1b
2:  vzeroupper
    ret
    KERNO_ENDFUNC kerno_fma_loop_avx2

    KERNO_FUNC kerno_fma_loop_avx512, 5
    vpxord       %zmm14, %zmm14, %zmm14
    vpxord       %zmm15, %zmm15, %zmm15
    test         %rdi, %rdi
    jz           2f
1:  FMA12        zmm
    FMA12        zmm
    decq         %rdi
    jnz          1b
2:  vzeroupper
    ret
    KERNO_ENDFUNC kerno_fma_loop_avx512

    KERNO_FILE_END
