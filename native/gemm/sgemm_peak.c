/* kerno_bench_fma_peak: the FP32 FMA throughput of this core with a kernel set's widest vectors, measured
 * with the asm loops in asm/<arch>/fma_peak_<arch>.S (24 independent FMAs per iteration). Timed with the
 * thread's CPU-time clock where there is one, so time slices lost to other processes on a shared machine do
 * not count: the result is what the core does while it runs this thread. Not on Windows, where the thread's
 * CPU time (GetThreadTimes) only advances at scheduler ticks of about 16 ms: the monotonic clock there. */
#include "sgemm_internal.h"

#include <stdlib.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
#if defined(CLOCK_THREAD_CPUTIME_ID) && !defined(_WIN32)
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void* a, const void* b)
{
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

kerno_status kerno_bench_fma_peak(int32_t isa, double seconds, double* gflops)
{
    if (gflops == NULL)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_bench_fma_peak: gflops is NULL");
    if (!(seconds > 0.0 && seconds <= 60.0))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_bench_fma_peak: seconds = %g is not in (0, 60]", seconds);
    void (KERNO_ASM_ABI *loop)(uint64_t) = NULL;
    double lanes = 0;
    uint64_t f = kerno_cpu_features();
    (void)f;
    switch (isa) {
#if KERNO_ARCH_X86_64
    case KERNO_ISA_AVX2:
        if ((f & (KERNO_CPU_X86_AVX2 | KERNO_CPU_X86_FMA)) == (KERNO_CPU_X86_AVX2 | KERNO_CPU_X86_FMA)) {
            loop = kerno_fma_loop_avx2;
            lanes = 8;
        }
        break;
    case KERNO_ISA_AVX512:
        if (f & KERNO_CPU_X86_AVX512F) {
            loop = kerno_fma_loop_avx512;
            lanes = 16;
        }
        break;
#endif
#if KERNO_ARCH_AARCH64
    case KERNO_ISA_NEON:
        loop = kerno_fma_loop_neon;
        lanes = 4;
        break;
#endif
    default:
        break;
    }
    if (loop == NULL)
        return kerno_fail(KERNO_ERR_UNSUPPORTED, "kerno_bench_fma_peak: no FMA probe for kernel set %s on this CPU",
                          kerno_isa_name(isa));
    /* Calibrate a chunk of about 10 ms, then take the median rate of the chunks. */
    uint64_t iters = 1 << 16;
    for (;;) {
        double t0 = now_seconds();
        loop(iters);
        double dt = now_seconds() - t0;
        if (dt > 0.01 || iters > (1ull << 40))
            break;
        iters *= 2;
    }
    enum { MAX_CHUNKS = 1000 };
    double rates[MAX_CHUNKS];
    int n = 0;
    double start = now_seconds();
    while (n < MAX_CHUNKS && (n < 5 || now_seconds() - start < seconds)) {
        double t0 = now_seconds();
        loop(iters);
        double dt = now_seconds() - t0;
        rates[n++] = (double)iters * 24.0 * lanes * 2.0 / dt * 1e-9;
    }
    qsort(rates, (size_t)n, sizeof rates[0], cmp_double);
    *gflops = rates[n / 2];
    return KERNO_OK;
}
