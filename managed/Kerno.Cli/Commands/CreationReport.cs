using System.Diagnostics;
using Kerno.Execution;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno bench --creation</c>: session creation with JIT set apart. The benchmark's own session is the first of
/// the model in the process (for the first model, the first of any: it pays for compiling Kerno's code, which ONNX
/// Runtime, being native, does not); a second session of the same model, made here after the runs, pays neither
/// JIT nor first-use costs, and ONNX Runtime gets a second session too, so both engines are compared both ways.
/// Kerno's phases (<see cref="CreationTimings"/>) are printed for both of its sessions, wall and thread CPU time.
/// </summary>
internal static class CreationReport
{
    /// <summary>The calling thread's CPU time in ms (wall time where the clock is unavailable).</summary>
    public static double CpuMs() => ThreadCpuClock.Now() * 1000.0 / Stopwatch.Frequency;

    public static object Measure(string modelPath, SessionOptions options, InferenceSession first, double firstMs, double firstCpuMs,
        (byte[] Bytes, OrtPeer First, int Threads)? ort, IReadOnlyDictionary<string, Tensor> inputs, TextWriter log)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var clock = Stopwatch.StartNew();
        double cpu0 = CpuMs();
        CreationTimings second;
        using (var again = new InferenceSession(modelPath, options))
        {
            second = again.CreationTimings;
            (double ms, double cpu) = (clock.Elapsed.TotalMilliseconds, CpuMs() - cpu0);
            log.WriteLine($"  session creation, ms (thread CPU ms): kerno 1st {firstMs:0.0} ({firstCpuMs:0.0}), 2nd {ms:0.0} ({cpu:0.0})");
            firstMs = Math.Round(firstMs, 3);
            var kerno = new { firstMs, firstCpuMs = Math.Round(firstCpuMs, 3), secondMs = Math.Round(ms, 3), secondCpuMs = Math.Round(cpu, 3) };
            object? peer = null;
            if (ort is { } o)
            {
                using OrtPeer again2 = OrtPeer.Create(o.Bytes, o.Threads, inputs);
                log.WriteLine($"                                        onnxruntime 1st {o.First.CreateMilliseconds:0.0} ({o.First.CreateCpuMilliseconds:0.0}), 2nd {again2.CreateMilliseconds:0.0} ({again2.CreateCpuMilliseconds:0.0})");
                peer = new
                {
                    firstMs = Math.Round(o.First.CreateMilliseconds, 3), firstCpuMs = Math.Round(o.First.CreateCpuMilliseconds, 3),
                    secondMs = Math.Round(again2.CreateMilliseconds, 3), secondCpuMs = Math.Round(again2.CreateCpuMilliseconds, 3),
                };
            }
            var phases = Phases(first.CreationTimings, second, log);
            return new { kerno, onnxruntime = peer, phases };
        }
    }

    /// <summary>Prints the phases of both sessions side by side (sub-phases indented under their phase).</summary>
    private static List<object> Phases(CreationTimings first, CreationTimings second, TextWriter log)
    {
        var a = first.Phases.ToDictionary(p => p.Phase);
        var b = second.Phases.ToDictionary(p => p.Phase);
        var names = a.Keys.Concat(b.Keys.Where(k => !a.ContainsKey(k))).ToList();
        log.WriteLine($"  {"phase",-48} {"1st ms",9} {"cpu",9} {"2nd ms",9} {"cpu",9} {"count",6}");
        var rows = new List<object>();
        foreach (string name in names)
        {
            var x = a.GetValueOrDefault(name);
            var y = b.GetValueOrDefault(name);
            int colon = name.IndexOf(": ", StringComparison.Ordinal);
            string shown = colon < 0 ? name : "  " + name[(colon + 2)..];
            log.WriteLine($"  {shown,-48} {x.WallMs,9:0.0} {x.CpuMs,9:0.0} {y.WallMs,9:0.0} {y.CpuMs,9:0.0} {Math.Max(x.Count, y.Count),6}");
            rows.Add(new { phase = name, firstMs = Math.Round(x.WallMs, 3), firstCpuMs = Math.Round(x.CpuMs, 3), secondMs = Math.Round(y.WallMs, 3), secondCpuMs = Math.Round(y.CpuMs, 3), count = Math.Max(x.Count, y.Count) });
        }
        return rows;
    }
}
