using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Kerno.Kernels;
using Kerno.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using OrtRunOptions = Microsoft.ML.OnnxRuntime.RunOptions;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace Kerno.Bench;

/// <summary>
/// <c>conv</c>: times one convolution (or a suite of real layers) through Kerno's native kernels and, with
/// <c>--compare onnxruntime</c>, through ONNX Runtime on a one-node model built in memory, both on 1 thread in
/// this process. Rounds alternate Kerno and ORT so background load hits both alike; medians are reported.
/// </summary>
internal static class ConvBench
{
    internal const string UsageText =
        "usage: Kerno.Bench conv --shape N,C,H,W --kernel K,C/g,kh,kw [--stride s|sh,sw] [--pad p|t,l,b,r] [--dilation d|dh,dw]\n" +
        "                        [--group g] [--algo auto|cost|im2col|gemm1x1|winograd2|winograd4|winograd6|direct|depthwise]\n" +
        "                        [--layout nchw|nchwc] [--isa generic|avx2|avx512|neon] [--compare onnxruntime] [--seconds S]\n" +
        "       Kerno.Bench conv --suite resnet50|vgg19|ultraface|mobilenet [--algo ...] [--compare onnxruntime] [--seconds S]";

    private sealed record Layer(string Name, Conv2dShape Shape);

    private static Conv2dShape S(int c, int h, int w, int k, int kernel, int stride = 1, int pad = -1, int group = 1, int dil = 1)
    {
        int p = pad >= 0 ? pad : dil * (kernel - 1) / 2;
        return new Conv2dShape(1, c, h, w, k, kernel, kernel, stride, stride, p, p, p, p, dil, dil, group);
    }

    private static readonly Dictionary<string, Layer[]> Suites = new()
    {
        ["resnet50"] =
        [
            new("conv1 7x7/2 3->64 @224", S(3, 224, 224, 64, 7, 2)),
            new("3x3 64->64 @56", S(64, 56, 56, 64, 3)),
            new("3x3 128->128 @28", S(128, 28, 28, 128, 3)),
            new("3x3 256->256 @14", S(256, 14, 14, 256, 3)),
            new("3x3 512->512 @7", S(512, 7, 7, 512, 3)),
            new("3x3/2 128->128 @56", S(128, 56, 56, 128, 3, 2)),
            new("1x1 64->256 @56", S(64, 56, 56, 256, 1)),
            new("1x1 256->64 @56", S(256, 56, 56, 64, 1)),
            new("1x1 512->128 @28", S(512, 28, 28, 128, 1)),
            new("1x1 1024->256 @14", S(1024, 14, 14, 256, 1)),
            new("1x1 2048->512 @7", S(2048, 7, 7, 512, 1)),
        ],
        ["vgg19"] =
        [
            new("3x3 3->64 @224", S(3, 224, 224, 64, 3)),
            new("3x3 64->64 @224", S(64, 224, 224, 64, 3)),
            new("3x3 128->128 @112", S(128, 112, 112, 128, 3)),
            new("3x3 256->256 @56", S(256, 56, 56, 256, 3)),
            new("3x3 512->512 @28", S(512, 28, 28, 512, 3)),
            new("3x3 512->512 @14", S(512, 14, 14, 512, 3)),
        ],
        ["ultraface"] =
        [
            new("3x3/2 3->16 @240x320", new Conv2dShape(1, 3, 240, 320, 16, 3, 3, 2, 2, 1, 1, 1, 1)),
            new("dw3x3 16 @120x160", new Conv2dShape(1, 16, 120, 160, 16, 3, 3, 1, 1, 1, 1, 1, 1, Group: 16)),
            new("1x1 16->32 @120x160", new Conv2dShape(1, 16, 120, 160, 32, 1, 1)),
            new("dw3x3/2 32 @120x160", new Conv2dShape(1, 32, 120, 160, 32, 3, 3, 2, 2, 1, 1, 1, 1, Group: 32)),
            new("dw3x3 64 @30x40", new Conv2dShape(1, 64, 30, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, Group: 64)),
            new("1x1 64->64 @30x40", new Conv2dShape(1, 64, 30, 40, 64, 1, 1)),
            new("3x3 dil2 16->16 @30x40", new Conv2dShape(1, 16, 30, 40, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2)),
            new("3x3 64->64 @15x20", new Conv2dShape(1, 64, 15, 20, 64, 3, 3, 1, 1, 1, 1, 1, 1)),
        ],
        ["mobilenet"] =
        [
            new("dw3x3 32 @112", S(32, 112, 112, 32, 3, group: 32)),
            new("dw3x3/2 64 @112", S(64, 112, 112, 64, 3, 2, group: 64)),
            new("dw3x3 128 @56", S(128, 56, 56, 128, 3, group: 128)),
            new("dw3x3 512 @14", S(512, 14, 14, 512, 3, group: 512)),
            new("dw5x5 240 @14", S(240, 14, 14, 240, 5, group: 240)),
            new("1x1 32->64 @112", S(32, 112, 112, 64, 1)),
            new("1x1 128->128 @56", S(128, 56, 56, 128, 1)),
        ],
    };

    public static int Run(string[] args)
    {
        Dictionary<string, string> o;
        try
        {
            o = ParseOptions(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(UsageText);
            return 2;
        }
        if (o.TryGetValue("isa", out string? isa))
            KernoRuntimeInfo.ForceIsa(Enum.Parse<KernelIsa>(isa, ignoreCase: true));
        // cost: the runtime's choice (ConvCostModel over the algorithms libkerno accepts), per layer.
        bool byCost = o.GetValueOrDefault("algo", "auto") == "cost";
        var algo = byCost ? ConvAlgorithm.Auto : ParseAlgo(o.GetValueOrDefault("algo", "auto"));
        var layout = o.GetValueOrDefault("layout", "nchw") == "nchwc" ? TensorLayout.Nchwc : TensorLayout.Nchw;
        bool ort = o.GetValueOrDefault("compare", "") == "onnxruntime";
        double seconds = double.Parse(o.GetValueOrDefault("seconds", "1"), CultureInfo.InvariantCulture);

        Layer[] layers;
        string title;
        if (o.TryGetValue("suite", out string? suite))
        {
            if (!Suites.TryGetValue(suite, out layers!))
            {
                Console.Error.WriteLine($"unknown suite {suite}; one of {string.Join(", ", Suites.Keys)}");
                return 2;
            }
            title = suite;
        }
        else
        {
            int[] sh = Ints(o, "shape", 4), k = Ints(o, "kernel", 4);
            int[] st = Pair(o, "stride", 1), dl = Pair(o, "dilation", 1), pd = Quad(o, "pad", 0);
            int g = int.Parse(o.GetValueOrDefault("group", "1"), CultureInfo.InvariantCulture);
            if (k[1] * g != sh[1])
            {
                Console.Error.WriteLine($"--kernel C/g ({k[1]}) x group ({g}) must equal the input channels ({sh[1]})");
                return 2;
            }
            layers = [new("conv", new Conv2dShape(sh[0], sh[1], sh[2], sh[3], k[0], k[2], k[3], st[0], st[1], pd[0], pd[1], pd[2], pd[3], dl[0], dl[1], g))];
            title = "conv";
        }

        Console.WriteLine($"# {title}: kernel set {KernoRuntimeInfo.ActiveIsa}, 1 thread, layout {layout}, algo {(byCost ? "cost model" : algo)}, medians of alternating rounds over ~{seconds} s per layer");
        Console.WriteLine(ort
            ? "| layer | algo | GFLOP | Kerno ms | Kerno GFLOPS | ORT ms | ORT GFLOPS | ORT / Kerno | max abs diff |"
            : "| layer | algo | GFLOP | Kerno ms | Kerno GFLOPS |");
        Console.WriteLine(ort ? "|---|---|---:|---:|---:|---:|---:|---:|---:|" : "|---|---|---:|---:|---:|");
        foreach (Layer layer in layers)
        {
            try
            {
                RunLayer(layer, byCost ? CostModelChoice(layer.Shape) : algo, layout, ort, seconds);
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException)
            {
                Console.WriteLine($"| {layer.Name} | {algo} | - | {e.Message} |");
            }
        }
        return 0;
    }

    private static void RunLayer(Layer layer, ConvAlgorithm algo, TensorLayout layout, bool ort, double seconds)
    {
        Conv2dShape s = layer.Shape;
        int cg = s.C / s.Group;
        var rnd = new Random(42);
        float[] x = new float[s.N * s.C * s.H * s.W];
        float[] w = new float[s.K * cg * s.KernelH * s.KernelW];
        float[] b = new float[s.K];
        for (int i = 0; i < x.Length; ++i) x[i] = (float)(rnd.NextDouble() * 2 - 1);
        float scale = (float)Math.Sqrt(3.0 / (cg * s.KernelH * s.KernelW));
        for (int i = 0; i < w.Length; ++i) w[i] = (float)(rnd.NextDouble() * 2 - 1) * scale;
        for (int i = 0; i < b.Length; ++i) b[i] = (float)(rnd.NextDouble() * 0.2 - 0.1);
        int outLen = s.N * s.K * s.OutH * s.OutW;
        double gflop = 2.0 * s.N * s.K * cg * s.KernelH * s.KernelW * s.OutH * s.OutW * 1e-9;

        using var conv = new Conv2d(s, w, b, layout, algo);
        float[] xin = x;
        float[] y = new float[conv.ElementCount(s.K, s.OutH * s.OutW)];
        if (layout == TensorLayout.Nchwc)
        {
            xin = new float[conv.ElementCount(s.C, s.H * s.W)];
            NnKernels.ReorderToNchwc(x, xin, s.N, s.C, s.H, s.W);
        }
        Action kerno = () => conv.Run(xin, default, y);

        OrtBench? ortBench = ort ? new OrtBench(s, w, b, x) : null;
        try
        {
            var (kt, ot) = Measure(kerno, ortBench is null ? null : ortBench.Run, seconds);
            string line = $"| {layer.Name} | {conv.Algorithm} | {gflop:F3} | {kt * 1e3:F3} | {gflop / kt:F1} |";
            if (ortBench is not null)
            {
                float[] yk = y;
                if (layout == TensorLayout.Nchwc)
                {
                    yk = new float[outLen];
                    NnKernels.ReorderToNchw(y, yk, s.N, s.K, s.OutH, s.OutW);
                }
                double diff = 0;
                for (int i = 0; i < outLen; ++i) diff = Math.Max(diff, Math.Abs(yk[i] - ortBench.Output[i]));
                line += $" {ot * 1e3:F3} | {gflop / ot:F1} | {ot / kt:F2}x | {diff:E1} |";
            }
            Console.WriteLine(line);
        }
        finally
        {
            ortBench?.Dispose();
        }
    }

    /// <summary>Warm up, then alternate rounds until the time budget is spent; returns (kerno, ort) medians in seconds.</summary>
    private static (double Kerno, double Ort) Measure(Action kerno, Action? ort, double seconds)
    {
        kerno();
        ort?.Invoke();
        var kt = new List<double>();
        var ot = new List<double>();
        var total = Stopwatch.StartNew();
        while ((total.Elapsed.TotalSeconds < seconds || kt.Count < 5) && kt.Count < 2000)
        {
            long t0 = Stopwatch.GetTimestamp();
            kerno();
            long t1 = Stopwatch.GetTimestamp();
            kt.Add((t1 - t0) / (double)Stopwatch.Frequency);
            if (ort is not null)
            {
                t0 = Stopwatch.GetTimestamp();
                ort();
                t1 = Stopwatch.GetTimestamp();
                ot.Add((t1 - t0) / (double)Stopwatch.Frequency);
            }
        }
        return (Median(kt), ot.Count > 0 ? Median(ot) : double.NaN);
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v[v.Count / 2];
    }

    /// <summary>A one-node Conv model in ONNX Runtime, 1 thread, sequential, all graph optimizations.</summary>
    private sealed class OrtBench : IDisposable
    {
        private readonly OrtSession session;
        private readonly OrtValue input, output;
        private readonly OrtRunOptions runOptions = new();
        private readonly string[] inputNames = ["x"], outputNames = ["y"];
        private readonly OrtValue[] inputs, outputs;

        public float[] Output { get; }

        public OrtBench(Conv2dShape s, float[] w, float[] b, float[] x)
        {
            var model = new ModelProto { IrVersion = 8, ProducerName = "kerno-bench" };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
            var g = new GraphProto { Name = "conv" };
            var node = new NodeProto { OpType = "Conv", Name = "conv" };
            node.Input.Add("x");
            node.Input.Add("w");
            node.Input.Add("b");
            node.Output.Add("y");
            node.Attribute.Add(IntsAttr("kernel_shape", s.KernelH, s.KernelW));
            node.Attribute.Add(IntsAttr("strides", s.StrideH, s.StrideW));
            node.Attribute.Add(IntsAttr("pads", s.PadTop, s.PadLeft, s.PadBottom, s.PadRight));
            node.Attribute.Add(IntsAttr("dilations", s.DilationH, s.DilationW));
            node.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeProto.Types.AttributeType.Int, I = s.Group });
            g.Node.Add(node);
            g.Initializer.Add(Tensor("w", w, s.K, s.C / s.Group, s.KernelH, s.KernelW));
            g.Initializer.Add(Tensor("b", b, s.K));
            g.Input.Add(ValueInfo("x", s.N, s.C, s.H, s.W));
            g.Output.Add(ValueInfo("y", s.N, s.K, s.OutH, s.OutW));
            model.Graph = g;

            var options = new OrtSessionOptions
            {
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            session = new OrtSession(model.ToByteArray(), options);
            Output = new float[s.N * s.K * s.OutH * s.OutW];
            input = OrtValue.CreateTensorValueFromMemory(x, [s.N, s.C, s.H, s.W]);
            output = OrtValue.CreateTensorValueFromMemory(Output, [s.N, s.K, s.OutH, s.OutW]);
            inputs = [input];
            outputs = [output];
        }

        private static AttributeProto IntsAttr(string name, params long[] v)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.Add(v);
            return a;
        }

        private static TensorProto Tensor(string name, float[] data, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = 1 };
            t.Dims.Add(dims);
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
            return t;
        }

        private static ValueInfoProto ValueInfo(string name, params long[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
            };
        }

        public void Run() => session.Run(runOptions, inputNames, inputs, outputNames, outputs);

        public void Dispose()
        {
            input.Dispose();
            output.Dispose();
            runOptions.Dispose();
            session.Dispose();
        }
    }

    /// <summary>What the native backend runs for this layer (one thread): the cost model's pick among accepted algorithms.</summary>
    private static ConvAlgorithm CostModelChoice(Conv2dShape s)
    {
        var g = new Planning.ConvGeometry(1, s.C, s.H, s.W, s.K, s.KernelH, s.KernelW, s.Group, s.StrideH, s.StrideW, s.DilationH, s.DilationW,
            s.PadTop, s.PadLeft, s.PadBottom, s.PadRight);
        float[] w = new float[s.K * (s.C / s.Group) * s.KernelH * s.KernelW], b = new float[s.K];
        var accepted = new List<ConvAlgorithm>();
        foreach (ConvAlgorithm a in Planning.ConvCostModel.All)
        {
            try
            {
                using var probe = new Conv2d(s with { N = 1 }, w, b, TensorLayout.Nchw, a);
                accepted.Add(a);
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException or KernoNativeException)
            {
            }
        }
        return Planning.ConvCostModel.Choose(accepted, g, NnKernels.NchwcBlock);
    }

    private static ConvAlgorithm ParseAlgo(string s) => s switch
    {
        "auto" => ConvAlgorithm.Auto,
        "im2col" => ConvAlgorithm.Im2Col,
        "gemm1x1" => ConvAlgorithm.Gemm1x1,
        "winograd2" => ConvAlgorithm.WinogradF2,
        "winograd4" => ConvAlgorithm.WinogradF4,
        "winograd6" => ConvAlgorithm.WinogradF6,
        "direct" => ConvAlgorithm.Direct,
        "depthwise" => ConvAlgorithm.Depthwise,
        _ => throw new ArgumentException($"unknown --algo {s}"),
    };

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var o = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; ++i)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            o[args[i][2..]] = args[++i];
        }
        if (!o.ContainsKey("suite") && (!o.ContainsKey("shape") || !o.ContainsKey("kernel")))
            throw new ArgumentException("give --shape and --kernel, or --suite");
        return o;
    }

    private static int[] Ints(Dictionary<string, string> o, string name, int count)
    {
        int[] v = o[name].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        if (v.Length != count) throw new ArgumentException($"--{name} needs {count} comma-separated values");
        return v;
    }

    private static int[] Pair(Dictionary<string, string> o, string name, int dflt)
    {
        if (!o.TryGetValue(name, out string? s)) return [dflt, dflt];
        int[] v = s.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        return v.Length == 1 ? [v[0], v[0]] : v;
    }

    private static int[] Quad(Dictionary<string, string> o, string name, int dflt)
    {
        if (!o.TryGetValue(name, out string? s)) return [dflt, dflt, dflt, dflt];
        int[] v = s.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        return v.Length == 1 ? [v[0], v[0], v[0], v[0]] : v;
    }
}
