using System.Buffers;
using System.Runtime.InteropServices;

namespace Kerno.Execution;

/// <summary>
/// One block of native memory, 64-byte aligned, that holds the intermediate tensors of one run at the offsets
/// the memory planner chose. Freed on <see cref="Dispose"/> (or by the finalizer).
/// </summary>
internal sealed unsafe class Arena : IDisposable
{
    public const int Alignment = 64;
    private byte* data;

    public Arena(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Bytes = bytes;
        data = (byte*)Interop.NativeBuffer.Alloc((nuint)Math.Max(bytes, Alignment), Alignment);
        if (bytes > 0)
            GC.AddMemoryPressure(bytes);
    }

    public long Bytes { get; }

    /// <summary>The start of the block.</summary>
    public byte* Base => data != null ? data : throw new ObjectDisposedException(nameof(Arena));

    /// <summary>A float view of [<paramref name="offset"/>, offset + 4 <paramref name="length"/>) of the block.</summary>
    public ArenaMemory Floats(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset % sizeof(float) != 0 || offset + (long)length * sizeof(float) > Bytes)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length} floats) is outside the {Bytes}-byte arena");
        return new ArenaMemory(this, (float*)(Base + offset), length);
    }

    public void Dispose()
    {
        if (data == null)
            return;
        Interop.NativeBuffer.Free(data);
        data = null;
        if (Bytes > 0)
            GC.RemoveMemoryPressure(Bytes);
        GC.SuppressFinalize(this);
    }

    ~Arena()
    {
        if (data != null)
            Interop.NativeBuffer.Free(data);
    }
}

/// <summary>
/// Floats inside an <see cref="Arena"/>, exposed as <see cref="Memory{T}"/> so a plain <see cref="Tensor{T}"/> can
/// sit on them. The executor recognizes tensors on arena memory (<see cref="IsArena"/>) and copies them before
/// they escape a run.
/// </summary>
internal sealed unsafe class ArenaMemory : MemoryManager<float>
{
    private readonly Arena owner;
    private readonly float* pointer;
    private readonly int length;

    public ArenaMemory(Arena owner, float* pointer, int length)
    {
        this.owner = owner;
        this.pointer = pointer;
        this.length = length;
    }

    public float* Pointer => pointer;

    public override Span<float> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)length)
            throw new ArgumentOutOfRangeException(nameof(elementIndex));
        return new MemoryHandle(pointer + elementIndex, default, null);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }

    /// <summary>True when <paramref name="tensor"/>'s elements live in an arena (of any run).</summary>
    public static bool IsArena(Tensor tensor) =>
        tensor is Tensor<float> f && MemoryMarshal.TryGetMemoryManager<float, ArenaMemory>(f.Memory, out _);

    /// <summary>True when <paramref name="value"/> is or contains a tensor on arena memory.</summary>
    public static bool Escapes(Value? value) => value switch
    {
        Tensor t => IsArena(t),
        TensorSequence s => s.Items.Any(IsArena),
        OptionalValue o => Escapes(o.Content),
        _ => false,
    };

    /// <summary><paramref name="value"/> with every arena tensor in it replaced by a managed copy.</summary>
    public static Value? CopyOut(Value? value) => value switch
    {
        Tensor t when IsArena(t) => t.Clone(),
        TensorSequence s when s.Items.Any(IsArena) => new TensorSequence(s.ElementType, s.Items.Select(i => IsArena(i) ? i.Clone() : i)),
        OptionalValue o when Escapes(o.Content) => new OptionalValue(CopyOut(o.Content), o.Type),
        _ => value,
    };
}
