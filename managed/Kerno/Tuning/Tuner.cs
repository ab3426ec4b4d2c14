using System.Diagnostics;
using Kerno.Execution;
using Kerno.Kernels;
using Kerno.Planning;

namespace Kerno.Tuning;

/// <summary>What <see cref="Tuner.Tune"/> measured; <c>Clock</c> is "thread CPU time" (one thread: other processes'
/// load does not count) or "wall".</summary>
internal sealed record TuneResult(IReadOnlyList<TunedNode> Nodes, IReadOnlyList<string> Shapes, string Clock);

/// <summary>
/// Measures every candidate algorithm of every tunable node (Conv / kerno.FusedConv on libkerno plans) on the
/// session's planned shapes, inside whole-model runs: round r gives every node its r-th candidate at once and runs
/// the model with profiling; each node keeps the median of its <c>runs</c> samples per candidate, taken over up to
/// three passes of all rounds (each pass after <c>warmup</c> untimed runs). So each candidate is timed with the
/// real neighbours in cache, and tuning a model costs about (most candidates) x (3 warmup + runs) runs.
/// The winners are applied to the session (<see cref="CompareLatency"/> measures the whole model before and after,
/// best on fresh sessions, whose memory plans fit their choices). With one thread all times are the thread's CPU time (the machine may be
/// shared: time preempted by other processes does not count); with more, wall time.
/// </summary>
internal static class Tuner
{
    public static TuneResult Tune(InferenceSession session, IReadOnlyDictionary<string, Tensor> inputs, int runs, int warmup,
        Action<string, int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        NativeExecutor native = session.NativeExecutor ?? throw new InvalidOperationException("tuning needs the native backend");
        ExecutionPlan plan = native.StaticPlan
            ?? throw new InvalidOperationException("tuning needs every input shape fixed (declared, or set with SessionOptions.FreeDimensions)");
        var tunable = new List<(NativeConvStep Step, ConvGeometry Geometry, ConvAlgorithm Default, IReadOnlyList<ConvAlgorithm> Candidates)>();
        foreach (NativeConvStep step in native.Compiled.Steps.OfType<NativeConvStep>())
        {
            if (!step.HasOriginalWeights || plan.Shapes[step.Inputs[0]] is not { } x || step.GeometryOf(x) is not { } g || step.AlgorithmFor(x) is not { } chosen)
                continue;
            IReadOnlyList<ConvAlgorithm> candidates = step.Candidates(g);
            if (candidates.Count > 0)
                tunable.Add((step, g, chosen, candidates));
        }
        bool cpu = session.IntraOpThreads == 1 && ThreadCpuClock.IsAvailable;
        int rounds = tunable.Count == 0 ? 0 : tunable.Max(t => t.Candidates.Count);
        // The rounds are repeated in up to 3 passes, each taking a share of the timed runs, so a burst of load from
        // other processes hits one pass of one candidate, not all of its samples.
        int passes = Math.Min(3, runs);
        int total = rounds * passes + 1, done = 0;
        progress?.Invoke("cost model's choices", done, total);
        Time(session, inputs, warmup, runs, cpu, null);
        progress?.Invoke("cost model's choices", ++done, total);

        var samples = tunable.Select(_ => new Dictionary<ConvAlgorithm, List<double>>()).ToList();
        try
        {
            for (int pass = 0; pass < passes; ++pass)
            {
                int timed = runs / passes + (pass < runs % passes ? 1 : 0);
                for (int r = 0; r < rounds; ++r)
                {
                    for (int i = 0; i < tunable.Count; ++i)
                        tunable[i].Step.SetTrial(r < tunable[i].Candidates.Count ? tunable[i].Candidates[r] : null);
                    string what = $"candidate round {r + 1} of {rounds}" + (passes > 1 ? $", pass {pass + 1} of {passes}" : "");
                    progress?.Invoke(what, done, total);
                    var perStep = new List<double>[native.Compiled.Steps.Length];
                    Time(session, inputs, warmup, timed, cpu, profile =>
                    {
                        for (int s = 0; s < profile.Nodes.Count && s < perStep.Length; ++s)
                            (perStep[s] ??= new List<double>()).Add(profile.Nodes[s].DurationMicroseconds / 1000);
                    });
                    for (int i = 0; i < tunable.Count; ++i)
                        if (r < tunable[i].Candidates.Count && perStep[tunable[i].Step.Index] is { Count: > 0 } ms)
                        {
                            ConvAlgorithm a = tunable[i].Candidates[r];
                            if (!samples[i].TryGetValue(a, out List<double>? list))
                                samples[i][a] = list = new List<double>();
                            list.AddRange(ms);
                        }
                    foreach (var t in tunable)
                    {
                        t.Step.SetTrial(null);
                        t.Step.ReleaseUnusedPlans();
                    }
                    progress?.Invoke(what, ++done, total);
                }
            }
        }
        finally
        {
            foreach (var t in tunable)
                t.Step.SetTrial(null);
        }
        var times = samples.Select(d => d.ToDictionary(kv => kv.Key, kv => Median(kv.Value))).ToList();

        var nodes = new List<TunedNode>(tunable.Count);
        for (int i = 0; i < tunable.Count; ++i)
        {
            var (step, g, chosenByModel, _) = tunable[i];
            // Ties and noise keep the cost model's choice: a candidate must beat it by 3 % to replace it.
            ConvAlgorithm best = chosenByModel;
            double bestMs = times[i].GetValueOrDefault(chosenByModel, double.PositiveInfinity);
            foreach ((ConvAlgorithm a, double ms) in times[i])
                if (ms < bestMs * 0.97)
                    (best, bestMs) = (a, ms);
            nodes.Add(new TunedNode(TuningChoices.NodeKey(step.Node, step.Index), OpName(step), g, chosenByModel, best, times[i]));
        }

        for (int i = 0; i < tunable.Count; ++i)
        {
            tunable[i].Step.SetTrial(null);
            tunable[i].Step.SetTuned(tunable[i].Geometry, nodes[i].Chosen);
            tunable[i].Step.ReleaseUnusedPlans();
        }
        progress?.Invoke("done", total, total);
        IReadOnlyList<string> shapes = tunable.Select(t => Describe(t.Geometry)).ToList();
        return new TuneResult(nodes, shapes, cpu ? "thread CPU time" : "wall");
    }

    /// <summary>Median whole-model times of two sessions of one model (e.g. without and with the tuning cache), in
    /// alternating runs; thread CPU time when both run on one thread.</summary>
    public static (double FirstMs, double SecondMs) CompareLatency(InferenceSession first, InferenceSession second,
        IReadOnlyDictionary<string, Tensor> inputs, int runs, int warmup)
    {
        bool cpu = first.IntraOpThreads == 1 && second.IntraOpThreads == 1 && ThreadCpuClock.IsAvailable;
        var a = new List<double>(runs);
        var b = new List<double>(runs);
        for (int r = -Math.Max(warmup, 1); r < runs; ++r)
            foreach (InferenceSession s in new[] { first, second })
            {
                long t0 = cpu ? ThreadCpuClock.Now() : Stopwatch.GetTimestamp();
                s.Run(inputs);
                double ms = ((cpu ? ThreadCpuClock.Now() : Stopwatch.GetTimestamp()) - t0) * 1000.0 / Stopwatch.Frequency;
                if (r >= 0)
                    (ReferenceEquals(s, first) ? a : b).Add(ms);
            }
        return (Median(a), Median(b));
    }

    private static void Time(InferenceSession session, IReadOnlyDictionary<string, Tensor> inputs, int warmup, int runs, bool cpu, Action<ProfilingResult>? profiled)
    {
        for (int i = 0; i < warmup; ++i)
            session.Run(inputs);
        for (int i = 0; i < runs; ++i)
        {
            var options = new RunOptions { EnableProfiling = profiled is not null, ThreadCpuClock = cpu };
            session.Run(inputs, options);
            if (options.Profile is { } p)
                profiled!(p);
        }
    }

    private static string OpName(KernelStep step) => TuningChoices.OpName(step.Node);

    /// <summary>"3x56x56 -> 64 3x3/1" style: input channels and map, output channels, kernel, stride (and group, dilation).</summary>
    public static string Describe(ConvGeometry g) =>
        $"{g.C}x{g.H}x{g.W} -> {g.K} {g.KH}x{g.KW}/{g.StrideH}" + (g.Group > 1 ? $" g{g.Group}" : "") + (g.DilationH > 1 ? $" d{g.DilationH}" : "");

    private static double Median(List<double> v)
    {
        if (v.Count == 0)
            return double.NaN;
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
