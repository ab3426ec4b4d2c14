using System.Globalization;
using System.Runtime.Intrinsics.X86;
using Kerno.Execution;

namespace Kerno.Tuning;

/// <summary>
/// What a tuning result depends on besides the model: CPU vendor, family and model, the ISA features libkerno
/// detected, the kernel set it runs, and the core count. A cache written on another machine (or with another
/// forced kernel set) does not match and is ignored.
/// </summary>
internal static class CpuIdentity
{
    public static string Current => $"{VendorFamilyModel()}; features 0x{(ulong)KernoRuntimeInfo.CpuFeatures:x}; isa {KernoRuntimeInfo.ActiveIsa}; " +
        $"cores {KernoThreadPool.PhysicalCores}/{Environment.ProcessorCount}";

    private static string VendorFamilyModel()
    {
        if (X86Base.IsSupported)
        {
            (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
            Span<byte> vendor = stackalloc byte[12];
            BitConverter.TryWriteBytes(vendor, ebx);
            BitConverter.TryWriteBytes(vendor[4..], edx);
            BitConverter.TryWriteBytes(vendor[8..], ecx);
            int eax = X86Base.CpuId(1, 0).Eax;
            int family = (eax >> 8) & 0xF, model = (eax >> 4) & 0xF, stepping = eax & 0xF;
            if (family == 0xF)
                family += (eax >> 20) & 0xFF;
            if (family >= 6)
                model |= ((eax >> 16) & 0xF) << 4;
            return string.Create(CultureInfo.InvariantCulture, $"{System.Text.Encoding.ASCII.GetString(vendor)} family {family} model {model} stepping {stepping}");
        }
        // AArch64 and others: the kernel's description (implementer / part), when readable.
        try
        {
            var keys = new[] { "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "vendor_id", "model name" };
            var found = File.ReadLines("/proc/cpuinfo").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && keys.Contains(p[0].Trim()))
                .Select(p => p[0].Trim() + "=" + p[1].Trim()).Distinct().Take(8);
            return $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} {string.Join(" ", found)}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
