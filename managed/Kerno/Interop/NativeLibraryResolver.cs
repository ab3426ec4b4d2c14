using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kerno.Interop;

/// <summary>
/// Finds libkerno: <c>KERNO_NATIVE_PATH</c> (a file or a folder) first, then the NuGet layout
/// <c>runtimes/&lt;rid&gt;/native/</c> under the application folder, then the application folder itself.
/// After loading, the ABI version is checked once so a mismatched library fails with a clear message.
/// </summary>
internal static class NativeLibraryResolver
{
    internal const string EnvironmentVariable = "KERNO_NATIVE_PATH";

#pragma warning disable CA2255 // a module initializer is the only hook that runs before the first P/Invoke
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    internal static string CurrentRid
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                var other => other.ToString().ToLowerInvariant(),
            };
            return $"{os}-{arch}";
        }
    }

    internal static string FileName =>
        OperatingSystem.IsWindows() ? "libkerno.dll" : OperatingSystem.IsMacOS() ? "libkerno.dylib" : "libkerno.so";

    /// <summary>The candidate paths, in the order they are tried.</summary>
    internal static IEnumerable<string> Candidates()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            yield return Directory.Exists(env) ? Path.Combine(env, FileName) : env;
        foreach (string? dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(dir))
                continue;
            yield return Path.Combine(dir, "runtimes", CurrentRid, "native", FileName);
            yield return Path.Combine(dir, FileName);
        }
    }

    /// <summary>The path libkerno was loaded from, once loaded.</summary>
    internal static string? LoadedFrom { get; private set; }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NativeMethods.Library)
            return IntPtr.Zero;
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        foreach (string candidate in Candidates())
        {
            if (!File.Exists(candidate))
            {
                if (!string.IsNullOrEmpty(env) && candidate.StartsWith(env, StringComparison.Ordinal))
                    throw new DllNotFoundException($"{EnvironmentVariable}={env} does not name {FileName} or a folder containing it.");
                continue;
            }
            IntPtr handle = NativeLibrary.Load(candidate);
            LoadedFrom = candidate;
            return handle;
        }
        // The system's search path, by the native file name: "kerno" would find the managed Kerno.dll on Windows.
        if (NativeLibrary.TryLoad(FileName, assembly, searchPath, out IntPtr fallback))
        {
            LoadedFrom = FileName;
            return fallback;
        }
        throw new DllNotFoundException(
            $"libkerno was not found. Looked in: {string.Join(", ", Candidates())}. Set {EnvironmentVariable} to its path.");
    }
}
