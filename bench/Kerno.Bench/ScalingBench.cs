using System.Diagnostics;
using System.Runtime.InteropServices;
using Kerno.Execution;
using Kerno.Interop;
using Kerno.Kernels;

namespace Kerno.Bench;

/// <summary>
/// <c>scaling</c>: 1 thread vs T threads at one GEMM shape, through each way Kerno runs a GEMM on threads, in
/// alternating rounds (medians):
/// <list type="bullet">
/// <item><c>native</c>: <c>kerno_sgemm_threaded</c> (pthreads, the calling thread runs tile 0);</item>
/// <item><c>pool</c>: the runtime's path, <see cref="GemmJob"/> on a <see cref="KernoThreadPool"/> (the calling
/// thread is one of the workers);</item>
/// <item><c>dedicated</c>: the partition's tiles on T dedicated threads released by a barrier.</item>
/// </list>
/// Besides the wall clock it prints where a worker's time went, per round (medians): when the slowest worker
/// started after the release (wake-up), how much later the last worker finished than the first (imbalance), the
/// largest wall-minus-CPU time of a worker (time runnable or blocked, not computing: preemption by other
/// processes), the involuntary context switches of the workers, and the cores the process used (process CPU
/// time / wall). On a quiet machine wall and CPU agree; <c>uptime</c>'s load says how quiet it was.
/// </summary>
internal static unsafe class ScalingBench
{
    public const string UsageText =
        "       Kerno.Bench scaling --m M [--n N] [--k K] [--threads T] [--isa ISA] [--reps R] [--path all|native|pool|dedicated] [--split S]";

    public static int Run(int m, int n, int k, int threads, int reps, string path, int split)
    {
        var rnd = new Random(7);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
        float[] c = new float[m * n];
        SgemmPartition p = Sgemm.Partition(m, n, k, threads);
        Console.WriteLine($"{m}x{n}x{k} isa={KernoRuntimeInfo.ActiveIsa} threads={threads}: {p.TileCount} tiles of {p.TileM} x {p.TileN}; " +
                          $"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var paths = path == "all" ? new[] { "native", "pool", "dedicated" } : new[] { path };
        double flops = 2.0 * m * n * k;
        foreach (string name in paths)
        {
            using IRunner runner = name switch
            {
                "native" => new NativeRunner(m, n, k, a, b, c, threads),
                "pool" => new PoolRunner(m, n, k, a, b, c, threads, split),
                "dedicated" => new DedicatedRunner(m, n, k, a, b, c, p),
                _ => throw new ArgumentException($"--path {name}: all, native, pool or dedicated"),
            };
            var wall1 = new List<double>();
            var cpu1 = new List<double>();
            var wallT = new List<double>();
            var rounds = new List<RoundStats>();
            for (int r = 0; r < reps + 2; ++r)
            {
                double c0 = Clocks.ThreadCpuSeconds();
                long w0 = Stopwatch.GetTimestamp();
                Sgemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
                double w1 = Stopwatch.GetElapsedTime(w0).TotalSeconds, u1 = Clocks.ThreadCpuSeconds() - c0;
                RoundStats s = runner.Round();
                if (r < 2)
                    continue; // warm-up: packing buffers, JIT, thread start
                wall1.Add(w1);
                cpu1.Add(u1);
                wallT.Add(s.Wall);
                rounds.Add(s);
            }
            double mw1 = Median(wall1), mwT = Median(wallT);
            Console.WriteLine($"[{name}] wall clock: 1 thread {flops / mw1 * 1e-9:F1} GFLOPS, {threads} threads {flops / mwT * 1e-9:F1} GFLOPS: " +
                              $"{mw1 / mwT:F2}x (1 thread by CPU time {flops / Median(cpu1) * 1e-9:F1} GFLOPS)");
            if (runner is PoolRunner pr)
                Console.WriteLine($"[{name}]   the same pool on {pr.Tiles} instrumented items: {threads} threads {flops / Median(pr.InstrWall) * 1e-9:F1} GFLOPS: {mw1 / Median(pr.InstrWall):F2}x");
            Console.WriteLine($"[{name}]   per round: " + (double.IsNaN(rounds[0].CoresUsed) ? "" : $"cores used {Median(rounds.Select(s => s.CoresUsed)):F2}, ") +
                              $"involuntary switches {Median(rounds.Select(s => s.Involuntary)):F0}" +
                              (rounds[0].PerWorker
                                  ? $", last worker start {Median(rounds.Select(s => s.LastStart)) * 1e6:F0} us, imbalance (last - first end) {Median(rounds.Select(s => s.Imbalance)) * 1e6:F0} us, " +
                                    $"largest worker off-CPU {Median(rounds.Select(s => s.OffCpu)) * 1e6:F0} us, slowest worker CPU {flops / Median(rounds.Select(s => s.MaxCpu)) * 1e-9:F1} GFLOPS-eq."
                                  : ""));
        }
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var t = values.ToList();
        t.Sort();
        return t[t.Count / 2];
    }

    private record struct RoundStats(double Wall, double CoresUsed, double Involuntary, bool PerWorker, double LastStart,
        double Imbalance, double OffCpu, double MaxCpu);

    private interface IRunner : IDisposable
    {
        RoundStats Round();
    }

    /// <summary>Per-item timing of one parallel round (the item runs the same native call as GemmJob.Execute).</summary>
    private sealed class ItemTimes
    {
        public ItemTimes(int items)
        {
            Start = new double[items];
            End = new double[items];
            Cpu = new double[items];
            Switches = new long[items];
        }

        public readonly double[] Start, End, Cpu;
        public readonly long[] Switches;
        public long Release;

        public void Time(int item, Action body)
        {
            double s = Stopwatch.GetElapsedTime(Release).TotalSeconds, c0 = Clocks.ThreadCpuSeconds();
            long v0 = Clocks.ThreadInvoluntarySwitches();
            body();
            Cpu[item] = Clocks.ThreadCpuSeconds() - c0;
            Switches[item] = Clocks.ThreadInvoluntarySwitches() - v0;
            Start[item] = s;
            End[item] = Stopwatch.GetElapsedTime(Release).TotalSeconds;
        }

        public RoundStats Stats(double wall, double coresUsed) => new(wall, coresUsed, Switches.Sum(), true, Start.Max(),
            End.Max() - End.Min(), Enumerable.Range(0, End.Length).Max(i => End[i] - Start[i] - Cpu[i]), Cpu.Max());
    }

    /// <summary>Wall time of one call and the process CPU time it took (all threads).</summary>
    private static (double Wall, double Cores, long Involuntary) Measure(Action body)
    {
        var (u0, v0) = Clocks.ProcessCpu();
        long w0 = Stopwatch.GetTimestamp();
        body();
        double wall = Stopwatch.GetElapsedTime(w0).TotalSeconds;
        var (u1, v1) = Clocks.ProcessCpu();
        return (wall, (u1 - u0) / wall, v1 - v0);
    }

    private sealed class NativeRunner(int m, int n, int k, float[] a, float[] b, float[] c, int threads) : IRunner
    {
        public RoundStats Round()
        {
            var (wall, cores, inv) = Measure(() => Sgemm.MultiplyThreaded(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, threads));
            return new RoundStats(wall, cores, inv, false, 0, 0, 0, 0);
        }

        public void Dispose()
        {
        }
    }

    /// <summary>GemmJob.Run on a KernoThreadPool (wall clock), then the same tiles as instrumented pool items.</summary>
    private sealed class PoolRunner : IRunner, IParallelWork
    {
        private readonly KernoThreadPool pool;
        private readonly GemmJob job = new();
        private readonly GCHandle ha, hb, hc;
        private readonly int m, n, k;
        private readonly float[] a, b, c;
        private readonly SgemmPartition p;
        private readonly ItemTimes times;
        private int round;
        public readonly List<double> InstrWall = new();
        public int Tiles => p.TileCount;

        public PoolRunner(int m, int n, int k, float[] a, float[] b, float[] c, int threads, int split)
        {
            (this.m, this.n, this.k, this.a, this.b, this.c) = (m, n, k, a, b, c);
            pool = new KernoThreadPool(threads);
            ha = GCHandle.Alloc(a, GCHandleType.Pinned);
            hb = GCHandle.Alloc(b, GCHandleType.Pinned);
            hc = GCHandle.Alloc(c, GCHandleType.Pinned);
            job.Reset();
            (job.M, job.N, job.K) = (m, n, k);
            job.A = (float*)ha.AddrOfPinnedObject();
            job.B = (float*)hb.AddrOfPinnedObject();
            job.C = (float*)hc.AddrOfPinnedObject();
            (job.Lda, job.Ldb, job.Ldc) = (k, n, n);
            // --split S: S times as many tiles as threads, claimed dynamically by the pool (what over-decomposition
            // would cost on a quiet machine and gain under load); the GemmJob rounds always use the runtime's tiles.
            p = Sgemm.Partition(m, n, k, threads * split);
            times = new ItemTimes(p.TileCount);
        }

        public RoundStats Round()
        {
            var (wall, _, inv) = Measure(() => job.Run(pool));
            times.Release = Stopwatch.GetTimestamp();
            pool.Run(this, p.TileCount);
            if (++round > 2)
                InstrWall.Add(Stopwatch.GetElapsedTime(times.Release).TotalSeconds);
            // Process CPU time is not "cores used" here: the pool's worker spins after the job, and a running
            // thread's CPU time reaches getrusage only at its next tick or switch.
            return times.Stats(wall, double.NaN) with { Involuntary = inv };
        }

        public void Execute(int index) =>
            times.Time(index, () => Sgemm.MultiplyRange(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, p, index, index + 1));

        public void Dispose()
        {
            pool.Dispose();
            ha.Free();
            hb.Free();
            hc.Free();
        }
    }

    private sealed class DedicatedRunner : IRunner
    {
        private readonly Barrier start, done;
        private readonly ItemTimes times;
        private readonly List<Thread> workers;
        private bool stop;

        public DedicatedRunner(int m, int n, int k, float[] a, float[] b, float[] c, SgemmPartition p)
        {
            start = new Barrier(p.TileCount + 1);
            done = new Barrier(p.TileCount + 1);
            times = new ItemTimes(p.TileCount);
            workers = Enumerable.Range(0, p.TileCount).Select(t => new Thread(() =>
            {
                while (true)
                {
                    start.SignalAndWait();
                    if (Volatile.Read(ref stop))
                        return;
                    times.Time(t, () => Sgemm.MultiplyRange(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, p, t, t + 1));
                    done.SignalAndWait();
                }
            }) { IsBackground = true }).ToList();
            workers.ForEach(w => w.Start());
        }

        public RoundStats Round()
        {
            var (wall, cores, inv) = Measure(() =>
            {
                times.Release = Stopwatch.GetTimestamp();
                start.SignalAndWait();
                done.SignalAndWait();
            });
            return times.Stats(wall, cores) with { Involuntary = inv };
        }

        public void Dispose()
        {
            Volatile.Write(ref stop, true);
            start.SignalAndWait();
            workers.ForEach(w => w.Join());
            start.Dispose();
            done.Dispose();
        }
    }
}
