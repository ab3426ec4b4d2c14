using Kerno.Kernels;

namespace Kerno.Bench;

/// <summary>
/// <c>epilogue</c>: what each activation adds to a GEMM (1 thread, thread CPU time). Every round runs the GEMM
/// without epilogue and with each activation back to back on the same operands, with a column bias; the printed
/// figure is the median over rounds of (time with the activation / time without) - 1, in percent, so the load
/// of other processes cancels out of each pair.
/// ReLU and Clip are applied in the micro-kernel's store while the tile is in registers; LeakyReLU, Sigmoid,
/// HardSwish, GELU-tanh and SiLU in a vector pass over the tile right after the kernel stored it. LeakyReLU's
/// arithmetic is as cheap as ReLU's (a multiply and a blend), so LeakyReLU minus ReLU is what the separate pass
/// itself costs (loading and storing the tile again); the rest of a costlier activation is its arithmetic,
/// which the store would have to do as well.
/// </summary>
internal static class EpilogueBench
{
    public const string UsageText = "       Kerno.Bench epilogue [--m M --n N --k K | (default: the gemm suite)] [--isa ISA] [--rounds R]";

    private static readonly (int M, int N, int K)[] Shapes =
    {
        (256, 256, 256), (1024, 1024, 1024), (3136, 64, 576), (784, 128, 1152), (196, 256, 2304), (49, 512, 4608),
        (3136, 256, 64), (12544, 32, 27), (1, 1000, 2048),
    };

    private static readonly SgemmEpilogue[] Acts =
    {
        default, SgemmEpilogue.Relu, SgemmEpilogue.LeakyRelu(0.1f), new(SgemmActivation.Sigmoid), new(SgemmActivation.HardSwish),
        new(SgemmActivation.GeluTanh), new(SgemmActivation.Silu),
    };

    public static int Run(int? m, int? n, int? k, int rounds)
    {
        var shapes = m is { } mm ? new[] { (mm, n ?? mm, k ?? mm) } : Shapes;
        Console.WriteLine($"isa={KernoRuntimeInfo.ActiveIsa}, 1 thread, thread CPU time, column bias; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"M",6} {"N",6} {"K",6} {"none GF",8}" + string.Concat(Acts.Skip(1).Select(a => $" {a.Activation,10}")) + "   (extra time over no epilogue, %)");
        var rnd = new Random(3);
        foreach (var (M, N, K) in shapes)
        {
            float[] a = Enumerable.Range(0, M * K).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
            float[] b = Enumerable.Range(0, K * N).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
            float[] bias = Enumerable.Range(0, N).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
            float[] c = new float[M * N];
            double flops = 2.0 * M * N * K;
            int inner = Math.Max(1, (int)(2e7 / flops));
            double Time(SgemmEpilogue e)
            {
                double t0 = Clocks.ThreadCpuSeconds();
                for (int i = 0; i < inner; ++i)
                    Sgemm.Multiply(false, false, M, N, K, 1f, a, K, b, N, 0f, c, N, e, SgemmBias.Column, bias);
                return (Clocks.ThreadCpuSeconds() - t0) / inner;
            }
            foreach (var e in Acts)
                Time(e); // warm-up
            var none = new List<double>();
            var extra = Acts.Skip(1).Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds; ++r)
            {
                double t = Time(default);
                none.Add(t);
                for (int i = 1; i < Acts.Length; ++i)
                    extra[i - 1].Add(Time(Acts[i]) / t - 1);
            }
            Console.WriteLine($"{M,6} {N,6} {K,6} {flops / Median(none) * 1e-9,8:F1}" + string.Concat(extra.Select(x => $" {100 * Median(x),10:F2}")));
        }
        return 0;
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v[v.Count / 2];
    }
}
