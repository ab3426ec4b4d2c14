using Google.Protobuf;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Kerno.Tests.Reliability;

/// <summary>
/// Front-end acceptance: 200 deterministically corrupted variants (truncation, bit flips, overwritten length
/// prefixes and varints) of every model are either rejected with <see cref="KernoModelException"/> or load
/// and run on random inputs of their declared shapes, half on the native backend and half on the reference one.
/// No other exception type, no crash, no hang.
/// Generated models always run; the shared real models (KERNO_TEST_DATA) when present.
/// </summary>
[Category("Reliability")]
public class CorruptionTests
{
    public const int VariantsPerModel = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Time each model's loaded variants may spend running (even variants on the native backend, odd ones on the
    /// reference backend, see <see cref="ModelProbe.BackendFor"/>); later loaded variants are still loaded,
    /// validated, shape-inferred, optimized and planned, but not run (counted as NotRun). The large shared models
    /// take 0.1-7 s per reference run; KERNO_RELIABILITY_FULL=1 runs every variant that loads.
    /// </summary>
    private static TimeSpan RunBudget =>
        Environment.GetEnvironmentVariable("KERNO_RELIABILITY_FULL") == "1" ? TimeSpan.MaxValue : TimeSpan.FromSeconds(8);

    public static IEnumerable<TestCaseData> GeneratedModels() =>
        SmallModels.All().Select(m => new TestCaseData(m.Name).SetName($"Generated({m.Name})"));

    [TestCaseSource(nameof(GeneratedModels))]
    public void GeneratedModelRunsUncorrupted(string name)
    {
        byte[] bytes = SmallModels.All().Single(m => m.Name == name).Bytes;
        foreach (int seed in new[] { 0, 1 }) // native, reference
        {
            ProbeResult r = ModelProbe.ProbeWithTimeout(bytes, seed, Timeout);
            Assert.That(r.Outcome, Is.EqualTo(ProbeOutcome.Ran), () => $"{ModelProbe.BackendFor(seed)}, {r.Stage}: {r.Error}");
        }
    }

    [TestCaseSource(nameof(GeneratedModels))]
    public void CorruptedGeneratedModelIsRejectedOrRuns(string name)
    {
        byte[] bytes = SmallModels.All().Single(m => m.Name == name).Bytes;
        CheckVariants(name, bytes, seed: 1000 + name.Length * 7919 + name[0]);
    }

    /// <summary>The shared real models, one entry per distinct file content.</summary>
    public static IEnumerable<TestCaseData> SharedModels()
    {
        string? shared = RepoPaths.SharedData;
        string dir = shared is null ? "" : Path.Combine(shared, "models");
        if (!Directory.Exists(dir))
        {
            yield return new TestCaseData("").SetName("Shared(absent)");
            yield break;
        }
        var seen = new HashSet<string>();
        foreach (string file in Directory.GetFiles(dir, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
            if (seen.Add(hash))
                yield return new TestCaseData(Path.GetRelativePath(dir, file)).SetName($"Shared({Path.GetRelativePath(dir, file)})");
        }
    }

    [TestCaseSource(nameof(SharedModels))]
    public void CorruptedSharedModelIsRejectedOrRuns(string relative)
    {
        if (relative.Length == 0)
            Assert.Ignore("shared models not found (set KERNO_TEST_DATA to the shared/ folder)");
        string path = Path.Combine(RepoPaths.SharedData!, "models", relative);
        CheckVariants(relative, File.ReadAllBytes(path), seed: 4242 + relative.Length);
    }

    /// <summary>Runs <see cref="VariantsPerModel"/> variants, prints the counts by outcome, fails on any bad outcome.</summary>
    internal static Dictionary<ProbeOutcome, int> CheckVariants(string name, byte[] model, int seed)
    {
        var corruptor = new Corruptor(model);
        var random = new Random(seed);
        var counts = Enum.GetValues<ProbeOutcome>().ToDictionary(o => o, _ => 0);
        var kinds = Enum.GetValues<CorruptionKind>();
        var failures = new List<string>();
        int internalErrors = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan running = TimeSpan.Zero, budget = RunBudget;
        for (int i = 0; i < VariantsPerModel; ++i)
        {
            CorruptionKind kind = kinds[i % kinds.Length];
            byte[] variant = corruptor.Corrupt(kind, random);
            var one = Stopwatch.StartNew();
            ProbeResult r = ModelProbe.ProbeWithTimeout(variant, seed + i, Timeout, run: running < budget);
            if (r.Outcome is ProbeOutcome.Ran or ProbeOutcome.RunRejected)
                running += one.Elapsed;
            counts[r.Outcome]++;
            if (r.IsInternalError)
            {
                internalErrors++;
                TestContext.Out.WriteLine($"  internal error, variant {i} ({kind}): {r.Error!.Message}");
            }
            if (!r.IsAcceptable)
                failures.Add($"variant {i} ({kind}, {variant.Length} bytes): {r.Outcome} at {r.Stage}: {r.Error}");
        }
        string summary = $"{name}: {VariantsPerModel} variants in {clock.Elapsed.TotalSeconds:F1} s: " +
                         string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")) + $"; internal errors {internalErrors}; {running.TotalSeconds:F1} s running";
        TestContext.Out.WriteLine(summary);
        TestContext.Progress.WriteLine(summary);
        Assert.That(failures, Is.Empty, () => string.Join("\n", failures.Take(10)));
        return counts;
    }

    [Test]
    public void CorruptorFindsTheWireStructure()
    {
        var c = new Corruptor(SmallModels.Mlp().ToByteArray());
        Assert.Multiple(() =>
        {
            Assert.That(c.LengthPrefixCount, Is.GreaterThan(20));
            Assert.That(c.VarintCount, Is.GreaterThan(10));
        });
        var random = new Random(1);
        foreach (CorruptionKind kind in Enum.GetValues<CorruptionKind>())
            Assert.That(c.Corrupt(kind, random), Is.Not.EqualTo(SmallModels.Mlp().ToByteArray()), kind.ToString());
    }
}
