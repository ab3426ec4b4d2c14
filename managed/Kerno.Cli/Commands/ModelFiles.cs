using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kerno.Graph;
using Kerno.Onnx;

namespace Kerno.Cli.Commands;

/// <summary>Shared by the model commands: MODEL|TESTDIR resolution, session options, inputs (files, test data, random), .npy I/O.</summary>
internal static class ModelFiles
{
    /// <summary>The model file of MODEL (a .onnx file) or TESTDIR (a folder with model.onnx); the test data set folder if any.</summary>
    public static (string Model, string? DataSet) Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            string model = Path.Combine(path, "model.onnx");
            if (!File.Exists(model))
                throw new CliUsageException($"expected a .onnx file or a test folder with model.onnx, got '{path}' (a folder without model.onnx)");
            string? set = Directory.GetDirectories(path, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).FirstOrDefault();
            return (model, set);
        }
        if (!File.Exists(path))
            throw new CliUsageException($"expected a .onnx file or a test folder with model.onnx, got '{path}' (not found)");
        return (path, null);
    }

    /// <summary>The model's name for labels: the test folder's or the file's, without "test_" and ".onnx".</summary>
    public static string DisplayName(string path, string modelPath)
    {
        string name = Directory.Exists(path) ? Path.GetFileName(path.TrimEnd('/')) : Path.GetFileNameWithoutExtension(modelPath);
        return name.StartsWith("test_", StringComparison.Ordinal) && name.Length > 5 ? name[5..] : name;
    }

    public static ExecutionBackend ParseBackend(string name) => name.ToLowerInvariant() switch
    {
        "native" => ExecutionBackend.Native,
        "reference" => ExecutionBackend.Reference,
        _ => throw new ArgumentException($"unknown backend '{name}' (use native or reference)"),
    };

    /// <summary>Prints the session's creation notes (e.g. an ignored tuning cache) to stderr.</summary>
    public static void ReportWarnings(InferenceSession session)
    {
        foreach (string w in session.Warnings)
            Console.Error.WriteLine("warning: " + w);
    }

    public static SessionOptions Options(string backend, int threads) => new()
    {
        Backend = ParseBackend(backend),
        IntraOpThreads = threads,
    };

    /// <summary>
    /// Inputs for a run: <paramref name="specs"/> ("name=file.pb|file.npy") first, then the test data set's
    /// input_N.pb files, then random values for whatever is still missing (seeded, so runs repeat).
    /// </summary>
    public static Dictionary<string, Tensor> Inputs(InferenceSession session, string? dataSet, IEnumerable<string> specs, int seed = 1)
    {
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string spec in specs)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"--input '{spec}' should be name=file.pb or name=file.npy");
            string name = spec[..eq], file = spec[(eq + 1)..];
            TypeInfo? type = session.Model.Graph.Inputs.FirstOrDefault(i => i.Name == name)?.Type
                ?? throw new ArgumentException($"the model has no input '{name}' (inputs: {string.Join(", ", session.Inputs.Select(i => i.Name))})");
            if (!File.Exists(file))
                throw new CliUsageException($"--input {name}: expected a .pb or .npy tensor file, got '{file}' (not found)");
            inputs[name] = file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
                ? ReadNpy(file)
                : ValueReader.ReadFile(file, type) as Tensor ?? throw new ArgumentException($"{file} does not hold a tensor");
        }
        if (dataSet is not null)
        {
            var files = new List<string>();
            for (int i = 0; File.Exists(Path.Combine(dataSet, $"input_{i}.pb")); ++i)
                files.Add(Path.Combine(dataSet, $"input_{i}.pb"));
            IReadOnlyList<NodeMetadata> targets = files.Count == session.Inputs.Count
                ? session.Inputs
                : session.Inputs.Concat(session.OverridableInitializers)
                    .OrderBy(m => session.Model.Graph.Inputs.FindIndex(v => v.Name == m.Name)).ToList();
            for (int i = 0; i < Math.Min(files.Count, targets.Count); ++i)
                if (!inputs.ContainsKey(targets[i].Name) && session.Inputs.Any(x => x.Name == targets[i].Name))
                    inputs[targets[i].Name] = (Tensor)ValueReader.ReadFile(files[i], session.Model.Graph.Inputs.First(v => v.Name == targets[i].Name).Type);
        }
        var rng = new Random(seed);
        foreach (NodeMetadata input in session.Inputs)
            if (!inputs.ContainsKey(input.Name))
                inputs[input.Name] = RandomTensor(input, rng);
        return inputs;
    }

    private static Tensor RandomTensor(NodeMetadata input, Random rng)
    {
        if (input.Type is not TensorTypeInfo t)
            throw new ArgumentException($"input '{input.Name}' is not a tensor; give it with --input");
        int[] shape = (t.Shape ?? []).Select(d => d.Value is { } v ? (int)v : 1).ToArray();
        Tensor tensor = Tensor.Create(t.ElementType, shape);
        switch (tensor)
        {
            case Tensor<float> f:
                foreach (ref float v in f.Span)
                    v = (float)(rng.NextDouble() * 2 - 1);
                break;
            case Tensor<double> d:
                foreach (ref double v in d.Span)
                    v = rng.NextDouble() * 2 - 1;
                break;
        }
        return tensor;
    }

    public static string Describe(Tensor t) => $"{DataTypes.OnnxName(t.DataType)}{Tensor.FormatShape(t.Shape)}";

    // ---- .npy (NumPy format 1.0/2.0, little-endian, C order) ----
    private static readonly (string Descr, DataType Type)[] NpyTypes =
    [
        ("<f4", DataType.Float), ("<f8", DataType.Double), ("<i8", DataType.Int64), ("<i4", DataType.Int32),
        ("|u1", DataType.UInt8), ("|i1", DataType.Int8), ("|b1", DataType.Bool), ("<f2", DataType.Float16),
        ("<i2", DataType.Int16), ("<u2", DataType.UInt16), ("<u4", DataType.UInt32), ("<u8", DataType.UInt64),
    ];

    public static Tensor ReadNpy(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file");
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, start, headerLength);
        string descr = Field(header, "descr").Trim('\'', '"', ' ');
        if (Field(header, "fortran_order").Trim().StartsWith("True", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: Fortran-order arrays are not supported");
        string shapeText = Field(header, "shape").Trim().TrimStart('(').TrimEnd(')');
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        DataType type = NpyTypes.FirstOrDefault(t => t.Descr == descr).Type;
        if (type == DataType.Undefined)
            throw new InvalidDataException($"{path}: dtype {descr} is not supported");
        Tensor tensor = Tensor.Create(type, shape);
        ReadOnlySpan<byte> data = bytes.AsSpan(start + headerLength);
        int size = DataTypes.RawSize(type);
        if (data.Length < (long)tensor.Length * size)
            throw new InvalidDataException($"{path}: {data.Length} bytes of data for {tensor.Length} elements");
        CopyRaw(tensor, data[..(tensor.Length * size)]);
        return tensor;
    }

    private static string Field(string header, string key)
    {
        int i = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (i < 0)
            throw new InvalidDataException($".npy header has no '{key}'");
        int colon = header.IndexOf(':', i);
        int end = key == "shape" ? header.IndexOf(')', colon) + 1 : header.IndexOf(',', colon);
        return header[(colon + 1)..end];
    }

    private static void CopyRaw(Tensor t, ReadOnlySpan<byte> data)
    {
        switch (t)
        {
            case Tensor<float> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<double> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<long> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<int> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<byte> x: data.CopyTo(x.Span); break;
            case Tensor<sbyte> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<bool> x: for (int i = 0; i < x.Length; ++i) x[i] = data[i] != 0; break;
            case Tensor<Half> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<short> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<ushort> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<uint> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<ulong> x: data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            default: throw new NotSupportedException($"{t.DataType} in .npy");
        }
    }

    public static void WriteNpy(string path, Tensor t)
    {
        string descr = NpyTypes.FirstOrDefault(x => x.Type == t.DataType).Descr
            ?? throw new NotSupportedException($"cannot write {t.DataType} as .npy");
        string shape = t.Rank == 1 ? $"({t.Shape[0]},)" : "(" + string.Join(", ", t.Shape.ToArray()) + ")";
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        f.Write(len);
        f.Write(Encoding.ASCII.GetBytes(header));
        switch (t)
        {
            case Tensor<float> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<double> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<long> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<int> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<byte> x: f.Write(x.Span); break;
            case Tensor<sbyte> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<bool> x: foreach (bool b in x.Span) f.WriteByte(b ? (byte)1 : (byte)0); break;
            case Tensor<Half> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<short> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<ushort> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<uint> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            case Tensor<ulong> x: f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.Span)); break;
            default: throw new NotSupportedException($"cannot write {t.DataType} as .npy");
        }
    }
}
