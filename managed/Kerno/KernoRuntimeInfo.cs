using System.Reflection;
using Kerno.Interop;

namespace Kerno;

/// <summary>What this process's Kerno is: versions, the native library in use, CPU features and kernel set.</summary>
public static unsafe class KernoRuntimeInfo
{
    /// <summary>The managed assembly's version (informational, SemVer).</summary>
    public static string ManagedVersion =>
        typeof(KernoRuntimeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(KernoRuntimeInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The native library's version string.</summary>
    public static string NativeVersion { get { Native.EnsureLoaded(); return Native.String(NativeMethods.kerno_version_string()); } }

    /// <summary>The native library's ABI version (<c>kerno_abi_version()</c>).</summary>
    public static uint AbiVersion => NativeMethods.kerno_abi_version();

    /// <summary>The ABI version this assembly was built against.</summary>
    public static uint SupportedAbiVersion => NativeMethods.SupportedAbiVersion;

    /// <summary>Where libkerno was loaded from.</summary>
    public static string? NativeLibraryPath { get { Native.EnsureLoaded(); return NativeLibraryResolver.LoadedFrom; } }

    /// <summary>CPU features detected at run time.</summary>
    public static CpuFeatures CpuFeatures { get { Native.EnsureLoaded(); return (CpuFeatures)NativeMethods.kerno_cpu_features(); } }

    /// <summary>The kernel set in use (the best supported one, unless forced by <c>KERNO_ISA</c> or <see cref="ForceIsa"/>).</summary>
    public static KernelIsa ActiveIsa { get { Native.EnsureLoaded(); return (KernelIsa)NativeMethods.kerno_active_isa(); } }

    /// <summary>Forces a kernel set for the whole process (tests and benchmarks use it to run every path).</summary>
    /// <exception cref="NotSupportedException">This CPU or build cannot run <paramref name="isa"/>.</exception>
    public static void ForceIsa(KernelIsa isa)
    {
        if (!Enum.IsDefined(isa))
            throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown kernel set");
        Native.EnsureLoaded();
        Native.Check(NativeMethods.kerno_set_isa((int)isa), "kerno_set_isa");
    }

    /// <summary>Bytes currently held by native aligned allocations (for leak checks).</summary>
    public static ulong NativeLiveBytes { get { Native.EnsureLoaded(); return NativeMethods.kerno_debug_live_bytes(); } }
}
