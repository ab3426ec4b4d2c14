using Kerno.Interop;

namespace Kerno.Tests.Interop;

public class NativeLibraryTests
{
    [Test]
    public void AbiVersionIsTheSupportedOne() =>
        Assert.That(KernoRuntimeInfo.AbiVersion, Is.EqualTo(KernoRuntimeInfo.SupportedAbiVersion));

    [Test]
    public void ALibraryWithAnotherAbiVersionIsRefusedWithAClearMessage()
    {
        var ex = Assert.Throws<KernoNativeException>(() => Native.ValidateAbi(KernoRuntimeInfo.SupportedAbiVersion + 1, "/x/libkerno.so"));
        Assert.That(ex!.Message, Does.Contain("ABI version").And.Contain("/x/libkerno.so"));
        Assert.DoesNotThrow(() => Native.ValidateAbi(KernoRuntimeInfo.SupportedAbiVersion, "/x/libkerno.so"));
    }

    [Test]
    public void NativeVersionMatchesManagedVersion() =>
        Assert.That(KernoRuntimeInfo.NativeVersion, Is.EqualTo(KernoRuntimeInfo.ManagedVersion));

    [Test]
    public void LibraryIsLoadedFromTheAppFolder() =>
        Assert.That(KernoRuntimeInfo.NativeLibraryPath, Does.EndWith(NativeLibraryResolver.FileName));

    [Test]
    public void CpuFeaturesMatchProcCpuinfo()
    {
        if (!File.Exists("/proc/cpuinfo"))
            Assert.Ignore("/proc/cpuinfo is not available on this OS");
        string flagsLine = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal)) ?? "";
        var flags = flagsLine.Split(':', 2).Last().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        CpuFeatures f = KernoRuntimeInfo.CpuFeatures;
        var expected = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
            ? new (CpuFeatures, string)[]
            {
                (CpuFeatures.Avx, "avx"), (CpuFeatures.Fma, "fma"), (CpuFeatures.Avx2, "avx2"), (CpuFeatures.F16c, "f16c"),
                (CpuFeatures.Avx512F, "avx512f"), (CpuFeatures.Avx512DQ, "avx512dq"), (CpuFeatures.Avx512BW, "avx512bw"),
                (CpuFeatures.Avx512VL, "avx512vl"), (CpuFeatures.Avx512Vnni, "avx512_vnni"), (CpuFeatures.Avx512Bf16, "avx512_bf16"),
                (CpuFeatures.AvxVnni, "avx_vnni"),
            }
            : new (CpuFeatures, string)[] { (CpuFeatures.Neon, "asimd"), (CpuFeatures.NeonDotProd, "asimddp"), (CpuFeatures.NeonFp16, "asimdhp") };
        Assert.Multiple(() =>
        {
            foreach (var (feature, flag) in expected)
                Assert.That(f.HasFlag(feature), Is.EqualTo(flags.Contains(flag)), $"{feature} vs /proc/cpuinfo flag '{flag}'");
        });
    }

    [Test]
    public void ActiveKernelSetIsTheBestTheCpuSupports()
    {
        if (Environment.GetEnvironmentVariable("KERNO_ISA") is { Length: > 0 })
            Assert.Ignore("KERNO_ISA forces the kernel set in this run");
        CpuFeatures f = KernoRuntimeInfo.CpuFeatures;
        KernelIsa expected = f.HasFlag(CpuFeatures.Neon) ? KernelIsa.Neon
            : f.HasFlag(CpuFeatures.Avx512F | CpuFeatures.Avx512BW | CpuFeatures.Avx512VL | CpuFeatures.Avx512DQ) ? KernelIsa.Avx512
            : f.HasFlag(CpuFeatures.Avx2 | CpuFeatures.Fma) ? KernelIsa.Avx2 : KernelIsa.Generic;
        Assert.That(KernoRuntimeInfo.ActiveIsa, Is.EqualTo(expected));
    }

    [Test]
    public void ForcingAnUnsupportedKernelSetThrowsWithTheNativeMessage()
    {
        KernelIsa foreign = KernoRuntimeInfo.CpuFeatures.HasFlag(CpuFeatures.Neon) ? KernelIsa.Avx2 : KernelIsa.Neon;
        var ex = Assert.Throws<NotSupportedException>(() => KernoRuntimeInfo.ForceIsa(foreign));
        Assert.That(ex!.Message, Does.Contain("cannot run"));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernoRuntimeInfo.ForceIsa((KernelIsa)42));
    }

    [Test]
    public unsafe void AlignedAllocationIsAlignedAndCounted()
    {
        ulong before = KernoRuntimeInfo.NativeLiveBytes;
        void* p = NativeMethods.kerno_aligned_alloc(4096, 64);
        Assert.That((nuint)p % 64, Is.EqualTo((nuint)0));
        Assert.That(KernoRuntimeInfo.NativeLiveBytes, Is.EqualTo(before + 4096));
        NativeMethods.kerno_aligned_free(p);
        Assert.That(KernoRuntimeInfo.NativeLiveBytes, Is.EqualTo(before));
    }
}
