using Ort = Microsoft.ML.OnnxRuntime;

namespace Kerno.Samples.Ocr;

/// <summary>ONNX Runtime (CPU) behind the pipeline's engine interface: what <c>--compare onnxruntime</c> runs.</summary>
public sealed class OnnxRuntimeEngine : IInferenceEngine
{
    public string Name => $"ONNX Runtime {Ort.OrtEnv.Instance().GetVersionString()}";

    public IModelRunner Load(string path)
    {
        var options = new Ort.SessionOptions { GraphOptimizationLevel = Ort.GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new Runner(new Ort.InferenceSession(path, options), options);
    }

    private sealed class Runner(Ort.InferenceSession session, Ort.SessionOptions options) : IModelRunner
    {
        private readonly string input = session.InputNames[0];
        private readonly string output = session.OutputNames[0];

        public FloatTensor Run(FloatTensor x)
        {
            using var value = Ort.OrtValue.CreateTensorValueFromMemory(x.Data, x.Shape.Select(d => (long)d).ToArray());
            using var runOptions = new Ort.RunOptions();
            using var outputs = session.Run(runOptions, [input], [value], [output]);
            Ort.OrtValue y = outputs[0];
            int[] shape = y.GetTensorTypeAndShape().Shape.Select(d => checked((int)d)).ToArray();
            return new FloatTensor(y.GetTensorDataAsSpan<float>().ToArray(), shape);
        }

        public void Dispose()
        {
            session.Dispose();
            options.Dispose();
        }
    }
}
