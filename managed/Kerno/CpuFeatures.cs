namespace Kerno;

/// <summary>CPU features detected by libkerno at run time (the bits of <c>kerno_cpu_features()</c>).</summary>
[Flags]
public enum CpuFeatures : ulong
{
    /// <summary>No SIMD feature Kerno uses.</summary>
    None = 0,
#pragma warning disable CS1591 // the names are the ISA extensions' own
    Avx = 1ul << 0,
    Fma = 1ul << 1,
    Avx2 = 1ul << 2,
    F16c = 1ul << 3,
    Avx512F = 1ul << 4,
    Avx512DQ = 1ul << 5,
    Avx512BW = 1ul << 6,
    Avx512VL = 1ul << 7,
    Avx512Vnni = 1ul << 8,
    Avx512Bf16 = 1ul << 9,
    AvxVnni = 1ul << 10,
    Neon = 1ul << 32,
    NeonFp16 = 1ul << 33,
    NeonDotProd = 1ul << 34,
    NeonI8mm = 1ul << 35,
    NeonBf16 = 1ul << 36,
    Sve = 1ul << 37,
#pragma warning restore CS1591
}

/// <summary>The kernel sets libkerno can run (<c>KERNO_ISA_*</c>); one is active per process.</summary>
public enum KernelIsa
{
    /// <summary>Portable C kernels.</summary>
    Generic = 0,
    /// <summary>x86-64 AVX2 + FMA kernels.</summary>
    Avx2 = 1,
    /// <summary>x86-64 AVX-512 (F/BW/VL/DQ) kernels.</summary>
    Avx512 = 2,
    /// <summary>AArch64 NEON kernels.</summary>
    Neon = 3,
}
