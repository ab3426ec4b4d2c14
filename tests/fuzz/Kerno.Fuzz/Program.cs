using Kerno.Tests;
using Kerno.Tests.Reliability;
using SharpFuzz;

namespace Kerno.Fuzz;

/// <summary>
/// Kerno.Fuzz MODE [args]: the fuzz target for hostile models (load, validate, infer shapes, optimize, plan, and
/// one run on random inputs of the declared shapes, native or reference backend by the input seed). Anything but a KernoModelException or a
/// clean run is re-thrown, so the fuzzer records a crash. Modes:
///   corpus DIR                      write the seed corpus (generated models + Debian's ONNX node-test models)
///   libfuzzer                       in-process target for libfuzzer-dotnet (SharpFuzz-instrumented Kerno.dll)
///   afl                             out-of-process target for AFL++ (afl-fuzz ... -- dotnet Kerno.Fuzz.dll afl)
///   loop [SECONDS] [SEED] [EXECS]   the uninstrumented mutation loop the test suite runs, for longer
///   replay FILE...                  run saved inputs and print their outcomes
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "help";
        switch (mode)
        {
            case "corpus":
                return WriteCorpus(args.Length > 1 ? args[1] : "corpus");
            case "libfuzzer":
                Fuzzer.LibFuzzer.Run(span => Target(span.ToArray()));
                return 0;
            case "afl":
                Fuzzer.OutOfProcess.Run(stream =>
                {
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    Target(buffer.ToArray());
                });
                return 0;
            case "loop":
                return Loop(args);
            case "replay":
                return Replay(args.Skip(1));
            default:
                Console.Error.WriteLine("usage: Kerno.Fuzz corpus DIR | libfuzzer | afl | loop [SECONDS] [SEED] [EXECUTIONS] | replay FILE...");
                return 2;
        }
    }

    /// <summary>The fuzz target: throws (a crash for the fuzzer) when Kerno breaks its hostile-input promise.</summary>
    private static void Target(byte[] model)
    {
        // The length's parity picks the backend (ModelProbe.BackendFor), so the fuzzer reaches both.
        ProbeResult r = ModelProbe.Probe(model, seed: model.Length);
        if (!r.IsAcceptable)
            throw new InvalidOperationException($"{r.Outcome} at {r.Stage}", r.Error);
    }

    private static int WriteCorpus(string dir)
    {
        Directory.CreateDirectory(dir);
        int n = 0;
        foreach (byte[] seed in FuzzLoop.DefaultSeeds())
            File.WriteAllBytes(Path.Combine(dir, $"seed-{n++:D4}.onnx"), seed);
        Console.WriteLine($"{n} seed models written to {dir}");
        return 0;
    }

    private static int Loop(string[] args)
    {
        long seconds = args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60;
        int seed = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20251124;
        long executions = args.Length > 3 ? long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : long.MaxValue;
        var loop = new FuzzLoop(FuzzLoop.DefaultSeeds(), TimeSpan.FromSeconds(10));
        FuzzReport report = loop.Run(seed, executions, TimeSpan.FromSeconds(seconds), Console.WriteLine);
        Console.WriteLine($"seed {seed}: {report}");
        string folder = Path.Combine(RepoPaths.Root, "artifacts", "fuzz-findings");
        foreach (string path in FuzzLoop.Save(report.Findings, folder))
            Console.WriteLine($"failure input: {path}");
        foreach (string path in FuzzLoop.Save(report.InternalFindings, Path.Combine(folder, "internal")))
            Console.WriteLine($"internal-error input: {path}");
        return report.Findings.Count == 0 ? 0 : 1;
    }

    private static int Replay(IEnumerable<string> files)
    {
        int bad = 0;
        foreach (string file in files)
        foreach (int seed in new[] { 0, 1 }) // both backends
        {
            ProbeResult r = ModelProbe.ProbeWithTimeout(File.ReadAllBytes(file), seed, TimeSpan.FromSeconds(20));
            Console.WriteLine($"{file} ({ModelProbe.BackendFor(seed)}): {r.Outcome}{(r.IsInternalError ? " (internal error)" : "")} {r.Error?.Message}");
            if (!r.IsAcceptable)
            {
                Console.WriteLine(r.Error);
                bad++;
            }
        }
        return bad == 0 ? 0 : 1;
    }
}
