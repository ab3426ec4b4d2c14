using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace Kerno.Cli.Commands;

/// <summary>ONNX Runtime (CPU execution provider) on the same model and inputs, for <c>kerno bench --compare onnxruntime</c>.</summary>
internal sealed class OrtPeer : IDisposable
{
    private readonly OrtSession session;
    private readonly OrtValue[] inputValues;
    private readonly string[] inputNames;
    private readonly string[] outputNames;
    private readonly Microsoft.ML.OnnxRuntime.RunOptions runOptions = new();

    private OrtPeer(OrtSession session, IReadOnlyDictionary<string, Tensor> inputs)
    {
        this.session = session;
        var names = session.InputMetadata.Keys.ToHashSet();
        var used = inputs.Where(kv => names.Contains(kv.Key)).ToList();
        inputNames = used.Select(kv => kv.Key).ToArray();
        inputValues = used.Select(kv => ToOrt(kv.Value)).ToArray();
        outputNames = session.OutputMetadata.Keys.ToArray();
    }

    public string[] OutputNames => outputNames;

    /// <summary>Milliseconds the session took to create.</summary>
    public double CreateMilliseconds { get; private set; }

    /// <summary>The calling thread's CPU milliseconds in creating the session (time preempted by other processes excluded).</summary>
    public double CreateCpuMilliseconds { get; private set; }

    /// <summary>Creates ORT on the model's bytes with <paramref name="threads"/> intra-op threads, sequential, all graph optimizations.</summary>
    public static OrtPeer Create(byte[] model, int threads, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var options = new OrtSessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long cpu = Kerno.Execution.ThreadCpuClock.Now();
        var session = new OrtSession(model, options);
        long cpuTicks = Kerno.Execution.ThreadCpuClock.Now() - cpu;
        return new OrtPeer(session, inputs)
        {
            CreateMilliseconds = clock.Elapsed.TotalMilliseconds,
            CreateCpuMilliseconds = cpuTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency,
        };
    }

    /// <summary>The model with initializers removed from the graph inputs (ORT cannot constant-fold inputs), or null when none are.</summary>
    public static byte[]? WithoutInitializerInputs(byte[] model)
    {
        Kerno.Onnx.Proto.ModelProto proto = Kerno.Onnx.Proto.ModelProto.Parser.ParseFrom(model);
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var keep = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (keep.Count == proto.Graph.Input.Count)
            return null;
        proto.Graph.Input.Clear();
        proto.Graph.Input.AddRange(keep);
        // Before IR 4 every initializer had to be a graph input as well.
        proto.IrVersion = Math.Max(proto.IrVersion, 4);
        return proto.ToByteArray();
    }

    /// <summary>Runs once; returns the outputs as float arrays (null for non-float outputs).</summary>
    public float[]?[] Run()
    {
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, inputNames, inputValues, outputNames);
        var outputs = new float[]?[results.Count];
        for (int i = 0; i < results.Count; ++i)
        {
            OrtValue v = results[i];
            if (v.IsTensor && v.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float)
                outputs[i] = v.GetTensorDataAsSpan<float>().ToArray();
        }
        return outputs;
    }

    /// <summary>Runs once without reading the outputs (for timing).</summary>
    public void RunTimed()
    {
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, inputNames, inputValues, outputNames);
    }

    private static OrtValue ToOrt(Tensor t)
    {
        long[] shape = t.Shape.ToArray().Select(d => (long)d).ToArray();
        return t switch
        {
            Tensor<float> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            Tensor<double> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            Tensor<long> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            Tensor<int> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            Tensor<byte> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            Tensor<sbyte> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            Tensor<bool> x => OrtValue.CreateTensorValueFromMemory(x.Span.ToArray(), shape),
            _ => throw new NotSupportedException($"input of {t.DataType} for ONNX Runtime"),
        };
    }

    public void Dispose()
    {
        foreach (OrtValue v in inputValues)
            v.Dispose();
        runOptions.Dispose();
        session.Dispose();
    }
}
