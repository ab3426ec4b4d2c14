namespace Kerno.Execution;

/// <summary>
/// The element cap of every tensor created on this thread while a run (or a load-time constant fold) is in
/// progress: <see cref="Tensor.ElementCount"/> refuses larger shapes before anything is allocated. This is how
/// <see cref="SessionOptions.MaxTensorElements"/> bounds memory for sizes that come from data at run time
/// (ConstantOfShape, Range, Tile, Expand, Resize, Pad, Loop scan outputs, ...), not only from declared shapes.
/// Reference kernels run on the calling thread, so a thread-static cap covers a whole run, subgraphs included.
/// </summary>
internal static class RunLimits
{
    [ThreadStatic]
    private static long maxElements;

    /// <summary>The cap in force on this thread; 0 when none.</summary>
    public static long MaxElements => maxElements;

    /// <summary>Sets the cap until the returned scope is disposed (the previous cap is restored; 0 or less = none).</summary>
    public static Scope Enter(long max)
    {
        long previous = maxElements;
        maxElements = max > 0 ? max : 0;
        return new Scope(previous);
    }

    /// <summary>Restores the previous cap.</summary>
    public readonly struct Scope(long previous) : IDisposable
    {
        public void Dispose() => maxElements = previous;
    }
}
