namespace Kerno.Onnx;

/// <summary>State shared while one model is converted: where external data lives, the limits, and running totals.</summary>
internal sealed class LoadContext
{
    public LoadContext(string? baseDirectory, ModelLimits limits)
    {
        BaseDirectory = baseDirectory;
        Limits = limits;
    }

    /// <summary>Folder external data is resolved against; null when the model came from memory.</summary>
    public string? BaseDirectory { get; }

    public ModelLimits Limits { get; }

    /// <summary>Nodes seen so far, across every graph, so a model cannot hide a huge node count in subgraphs.</summary>
    public int NodeCount { get; set; }

    /// <summary>Bytes of external data read so far; bounded like the model itself.</summary>
    public long ExternalBytes { get; set; }
}
