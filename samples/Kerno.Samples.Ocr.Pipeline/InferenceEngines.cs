namespace Kerno.Samples.Ocr;

/// <summary>A float tensor as the pipeline exchanges it with an engine: NCHW data and its shape.</summary>
public sealed record FloatTensor(float[] Data, int[] Shape);

/// <summary>Something that runs ONNX models: Kerno here, ONNX Runtime in the sample's <c>--compare</c>.</summary>
public interface IInferenceEngine
{
    /// <summary>Shown in reports, e.g. "Kerno (reference)".</summary>
    string Name { get; }

    /// <summary>Loads a model with one float input and one float output.</summary>
    IModelRunner Load(string path);
}

/// <summary>One loaded model.</summary>
public interface IModelRunner : IDisposable
{
    /// <summary>Runs the model on its single input; returns its first output.</summary>
    FloatTensor Run(FloatTensor input);
}

/// <summary>Kerno's <see cref="InferenceSession"/> on a chosen backend (switching to native is this one option).</summary>
public sealed class KernoEngine(ExecutionBackend backend = ExecutionBackend.Reference) : IInferenceEngine
{
    public ExecutionBackend Backend { get; } = backend;

    public string Name => $"Kerno ({Backend.ToString().ToLowerInvariant()})";

    public IModelRunner Load(string path) => new Runner(new InferenceSession(path, new SessionOptions { Backend = Backend }));

    private sealed class Runner(InferenceSession session) : IModelRunner
    {
        private readonly string input = session.Inputs[0].Name;

        public FloatTensor Run(FloatTensor x)
        {
            var outputs = session.Run(new Dictionary<string, Tensor>(StringComparer.Ordinal) { [input] = new Tensor<float>(x.Data, x.Shape) });
            var y = outputs[0].AsTensor() as Tensor<float>
                ?? throw new InvalidOperationException($"output '{outputs[0].Name}' is {outputs[0].AsTensor().DataType}, expected float");
            return new FloatTensor(y.Span.ToArray(), y.Shape.ToArray());
        }

        public void Dispose() => session.Dispose();
    }
}
