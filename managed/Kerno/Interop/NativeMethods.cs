using System.Runtime.InteropServices;

namespace Kerno.Interop;

/// <summary>
/// P/Invoke declarations mirroring <c>bindings/kerno.h</c> one to one (a test parses the header and
/// compares names, parameter counts and types). Callers validate every size before calling in.
/// Type mapping: <c>int32_t</c>/<c>kerno_status</c>=int, <c>uint32_t</c>=uint, <c>int64_t</c>=long,
/// <c>uint64_t</c>=ulong, <c>size_t</c>=nuint, pointers=typed pointers (<c>char*</c>=byte*).
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "kerno";

    /// <summary>The ABI versions of libkerno this assembly can call.</summary>
    internal const uint SupportedAbiVersion = 1;

    internal const int KERNO_OK = 0;
    internal const int KERNO_ERR_INVALID_ARGUMENT = 1;
    internal const int KERNO_ERR_OUT_OF_MEMORY = 2;
    internal const int KERNO_ERR_UNSUPPORTED = 3;
    internal const int KERNO_ERR_INTERNAL = 4;

    // ---- library ----
    [LibraryImport(Library, EntryPoint = "kerno_abi_version")]
    internal static partial uint kerno_abi_version();

    [LibraryImport(Library, EntryPoint = "kerno_version_string")]
    internal static partial byte* kerno_version_string();

    [LibraryImport(Library, EntryPoint = "kerno_last_error")]
    internal static partial byte* kerno_last_error();

    // ---- CPU and dispatch ----
    [LibraryImport(Library, EntryPoint = "kerno_cpu_features")]
    internal static partial ulong kerno_cpu_features();

    [LibraryImport(Library, EntryPoint = "kerno_active_isa")]
    internal static partial int kerno_active_isa();

    [LibraryImport(Library, EntryPoint = "kerno_set_isa")]
    internal static partial int kerno_set_isa(int isa);

    [LibraryImport(Library, EntryPoint = "kerno_isa_name")]
    internal static partial byte* kerno_isa_name(int isa);

    // ---- memory ----
    [LibraryImport(Library, EntryPoint = "kerno_aligned_alloc")]
    internal static partial void* kerno_aligned_alloc(nuint size, nuint alignment);

    [LibraryImport(Library, EntryPoint = "kerno_aligned_free")]
    internal static partial void kerno_aligned_free(void* ptr);

    [LibraryImport(Library, EntryPoint = "kerno_debug_live_bytes")]
    internal static partial ulong kerno_debug_live_bytes();
}
