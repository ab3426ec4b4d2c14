using Kerno.Graph;
using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>
/// Loads ONNX model files into Kerno's graph IR (<see cref="Model"/>). Anything malformed, hostile or over
/// the <see cref="ModelLimits"/> is reported as a <see cref="KernoModelException"/>.
/// </summary>
public static class ModelReader
{
    /// <summary>Loads a model file; external data is resolved relative to its folder.</summary>
    public static Model Load(string path, ModelLimits? limits = null)
    {
        limits ??= ModelLimits.Default;
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            bytes = ReadBounded(file, limits.MaxModelBytes, path);
        }
        catch (IOException e)
        {
            throw new KernoModelException($"cannot read model '{path}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new KernoModelException($"cannot read model '{path}': {e.Message}", e);
        }
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        return Load(bytes, folder, limits);
    }

    /// <summary>Loads a model from a stream (read to its end). External data needs <paramref name="baseDirectory"/>.</summary>
    public static Model Load(Stream stream, string? baseDirectory = null, ModelLimits? limits = null)
    {
        limits ??= ModelLimits.Default;
        return Load(ReadBounded(stream, limits.MaxModelBytes, "stream"), baseDirectory, limits);
    }

    /// <summary>Loads a model from bytes in memory. External data needs <paramref name="baseDirectory"/>.</summary>
    public static Model Load(ReadOnlyMemory<byte> bytes, string? baseDirectory = null, ModelLimits? limits = null)
    {
        limits ??= ModelLimits.Default;
        if (bytes.Length > limits.MaxModelBytes)
            throw new KernoModelException($"model is {bytes.Length} bytes, over the {limits.MaxModelBytes}-byte limit (MaxModelBytes)");
        if (bytes.Length == 0)
            throw new KernoModelException("model is empty (0 bytes)");
        ModelProto proto = ProtoParsing.Parse(ModelProto.Parser, bytes.Span, "model");
        try
        {
            return Convert(proto, new LoadContext(baseDirectory, limits));
        }
        catch (IOException e)
        {
            throw new KernoModelException($"model: external data could not be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new KernoModelException($"model: external data could not be read: {e.Message}", e);
        }
    }

    private static Model Convert(ModelProto proto, LoadContext context)
    {
        if (proto.Graph is null)
            throw new KernoModelException("model has no graph (is this an ONNX model file?)");
        var converter = new GraphConverter(context);
        var model = new Model { Graph = converter.Graph(proto.Graph, null, 0) };
        model.IrVersion = proto.IrVersion;
        model.ProducerName = proto.ProducerName;
        model.ProducerVersion = proto.ProducerVersion;
        model.BaseDirectory = context.BaseDirectory;
        foreach (OperatorSetIdProto o in proto.OpsetImport)
            model.OpsetImports[o.Domain == "ai.onnx" ? "" : o.Domain] = o.Version;
        // IR version 1-2 files predate opset_import: they mean opset 1 of the default domain.
        if (proto.OpsetImport.Count == 0)
            model.OpsetImports[""] = 1;
        foreach (StringStringEntryProto e in proto.MetadataProps)
            model.Metadata[e.Key] = e.Value;
        foreach (FunctionProto f in proto.Functions)
        {
            FunctionDefinition fn = converter.Function(f);
            if (!model.Functions.TryAdd((fn.Domain, fn.Name), fn))
                throw new KernoModelException($"function '{fn.Domain}.{fn.Name}' is defined twice");
        }
        return model;
    }

    /// <summary>Reads a stream to its end, refusing more than <paramref name="maxBytes"/> so a huge stream cannot exhaust memory.</summary>
    internal static byte[] ReadBounded(Stream stream, long maxBytes, string what)
    {
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > maxBytes)
                throw new KernoModelException($"{what} is {remaining} bytes, over the {maxBytes}-byte limit (MaxModelBytes)");
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > maxBytes)
                throw new KernoModelException($"{what} is over the {maxBytes}-byte limit (MaxModelBytes)");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }
}
