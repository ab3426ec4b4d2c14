namespace Kerno.Interop;

/// <summary>
/// Unmanaged blocks a session or run keeps (arenas, packed weights, scratch), taken from libkerno's allocator so
/// <c>kerno_debug_live_bytes()</c> (<see cref="KernoRuntimeInfo.NativeLiveBytes"/>) counts them and leak tests see
/// every byte the engine holds outside the managed heap.
/// </summary>
internal static unsafe class NativeBuffer
{
    /// <summary><paramref name="bytes"/> (at least 1) bytes aligned to <paramref name="alignment"/> (a power of two, 8..4096).</summary>
    public static void* Alloc(nuint bytes, nuint alignment = 64)
    {
        Native.EnsureLoaded();
        void* p = NativeMethods.kerno_aligned_alloc(Math.Max(bytes, 1), alignment);
        if (p == null)
            throw new OutOfMemoryException($"kerno_aligned_alloc({bytes}): {Native.LastError()}");
        return p;
    }

    /// <summary>Frees a block from <see cref="Alloc"/>; null is ignored.</summary>
    public static void Free(void* p) => NativeMethods.kerno_aligned_free(p);
}
