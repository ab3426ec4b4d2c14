using System.Diagnostics;
using System.Security.Cryptography;

namespace Kerno.Tests.Reliability;

/// <summary>One distinct failure a fuzz run found: its signature, how often, and the smallest input that hit it.</summary>
public sealed record FuzzFinding(string Signature, int Count, byte[] Input, ProbeResult Result);

/// <summary>What a <see cref="FuzzLoop"/> run did.</summary>
public sealed record FuzzReport(long Executions, TimeSpan Elapsed, IReadOnlyDictionary<ProbeOutcome, long> Outcomes,
    IReadOnlyList<FuzzFinding> Findings, int InternalErrors, IReadOnlyList<FuzzFinding> InternalFindings)
{
    public override string ToString() =>
        $"{Executions} executions in {Elapsed.TotalSeconds:F1} s ({Executions / Math.Max(Elapsed.TotalSeconds, 1e-9):F0}/s): " +
        string.Join(", ", Outcomes.Select(kv => $"{kv.Key} {kv.Value}")) +
        $"; {Findings.Count} distinct failures; {InternalErrors} internal errors wrapped as KernoModelException";
}

/// <summary>
/// A deterministic, uninstrumented mutation fuzzer for the model loader and the reference backend (the CI-sized
/// stand-in for SharpFuzz + libFuzzer/AFL++, which need an instrumented build): seeds are valid models, each
/// execution applies 1-4 mutations (the <see cref="Corruptor"/>'s protobuf-aware ones plus byte insertion,
/// deletion, duplication and splicing with another seed) and runs <see cref="ModelProbe"/> under a time limit.
/// The same seed and execution count give the same inputs.
/// </summary>
public sealed class FuzzLoop
{
    private readonly List<byte[]> seeds;
    private readonly List<Corruptor> corruptors;
    private readonly TimeSpan timeout;

    public FuzzLoop(IEnumerable<byte[]> seeds, TimeSpan? timeout = null)
    {
        this.seeds = seeds.Where(s => s.Length > 0).ToList();
        if (this.seeds.Count == 0)
            throw new ArgumentException("no seeds", nameof(seeds));
        corruptors = this.seeds.Select(s => new Corruptor(s)).ToList();
        this.timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>Seed models: the generated ones, plus every Debian ONNX node-test model when installed.</summary>
    public static List<byte[]> DefaultSeeds(int maxDebianModels = int.MaxValue)
    {
        var seeds = SmallModels.All().Select(m => m.Bytes).ToList();
        string? debian = RepoPaths.DebianOnnxData;
        if (debian is not null && Directory.Exists(Path.Combine(debian, "node")))
            seeds.AddRange(Directory.GetDirectories(Path.Combine(debian, "node")).Order(StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "model.onnx")).Where(File.Exists).Take(maxDebianModels).Select(File.ReadAllBytes));
        return seeds;
    }

    /// <summary>One mutated input: deterministic in <paramref name="random"/>'s state.</summary>
    public byte[] Mutate(Random random)
    {
        int pick = random.Next(seeds.Count);
        byte[] data = corruptors[pick].Corrupt((CorruptionKind)random.Next(Enum.GetValues<CorruptionKind>().Length), random);
        for (int extra = random.Next(0, 4); extra > 0 && data.Length > 0; --extra)
        {
            switch (random.Next(6))
            {
                case 0: // insert random bytes
                {
                    int at = random.Next(data.Length + 1), n = random.Next(1, 9);
                    var ins = new byte[n];
                    random.NextBytes(ins);
                    data = [.. data.AsSpan(0, at), .. ins, .. data.AsSpan(at)];
                    break;
                }
                case 1: // delete a run
                {
                    int at = random.Next(data.Length), n = Math.Min(random.Next(1, 17), data.Length - at);
                    data = [.. data.AsSpan(0, at), .. data.AsSpan(at + n)];
                    break;
                }
                case 2: // duplicate a chunk (repeated fields, nested messages)
                {
                    int at = random.Next(data.Length), n = Math.Min(random.Next(1, 65), data.Length - at);
                    data = [.. data.AsSpan(0, at + n), .. data.AsSpan(at, n), .. data.AsSpan(at + n)];
                    break;
                }
                case 3: // splice: head of this input, tail of another seed
                {
                    byte[] other = seeds[random.Next(seeds.Count)];
                    int a = random.Next(data.Length + 1), b = random.Next(other.Length + 1);
                    data = [.. data.AsSpan(0, a), .. other.AsSpan(b)];
                    break;
                }
                case 4: // interesting byte values
                {
                    byte[] interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x40];
                    data[random.Next(data.Length)] = interesting[random.Next(interesting.Length)];
                    break;
                }
                default: // another structural mutation of the result
                    data = new Corruptor(data).Corrupt((CorruptionKind)random.Next(Enum.GetValues<CorruptionKind>().Length), random);
                    break;
            }
        }
        return data;
    }

    /// <summary>
    /// Runs up to <paramref name="executions"/> inputs (stopping early after <paramref name="maxTime"/>), collecting
    /// failures (outcomes other than rejected/ran) grouped by exception type and throwing frame.
    /// </summary>
    public FuzzReport Run(int seed, long executions, TimeSpan maxTime, Action<string>? log = null)
    {
        var random = new Random(seed);
        var outcomes = Enum.GetValues<ProbeOutcome>().ToDictionary(o => o, _ => 0L);
        var findings = new Dictionary<string, FuzzFinding>(StringComparer.Ordinal);
        var internalFindings = new Dictionary<string, FuzzFinding>(StringComparer.Ordinal);
        int internalErrors = 0;
        var clock = Stopwatch.StartNew();
        long done = 0;
        for (; done < executions && clock.Elapsed < maxTime; ++done)
        {
            byte[] input = Mutate(random);
            ProbeResult r = ModelProbe.ProbeWithTimeout(input, (int)done, timeout);
            outcomes[r.Outcome]++;
            if (r.IsInternalError)
            {
                internalErrors++;
                string sig = Signature(r with { Error = r.Error!.InnerException });
                if (!internalFindings.ContainsKey(sig))
                {
                    internalFindings[sig] = new FuzzFinding(sig, 1, input, r);
                    log?.Invoke($"internal error after {done + 1} executions: {sig}: {r.Error!.Message}");
                }
            }
            if (r.IsAcceptable)
                continue;
            string signature = Signature(r);
            if (findings.TryGetValue(signature, out FuzzFinding? f))
                findings[signature] = f with { Count = f.Count + 1, Input = input.Length < f.Input.Length ? input : f.Input };
            else
            {
                findings[signature] = new FuzzFinding(signature, 1, input, r);
                log?.Invoke($"new failure after {done + 1} executions: {signature}");
            }
        }
        return new FuzzReport(done, clock.Elapsed, outcomes, findings.Values.ToList(), internalErrors, internalFindings.Values.ToList());
    }

    /// <summary>Outcome, exception type and the first Kerno frame of the stack: one signature per distinct bug.</summary>
    public static string Signature(ProbeResult r)
    {
        Exception? e = r.Error;
        string frame = e?.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Kerno.", StringComparison.Ordinal)) ?? "";
        int paren = frame.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0)
            frame = frame[..paren];
        return $"{r.Outcome} at {r.Stage}: {e?.GetType().Name} {frame}";
    }

    /// <summary>Writes each finding's input to <paramref name="folder"/> as crash-&lt;sha1&gt;.onnx; returns the paths.</summary>
    public static List<string> Save(IEnumerable<FuzzFinding> findings, string folder)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (FuzzFinding f in findings)
        {
            string path = Path.Combine(folder, $"crash-{Convert.ToHexString(SHA1.HashData(f.Input)).ToLowerInvariant()}.onnx");
            File.WriteAllBytes(path, f.Input);
            paths.Add(path);
        }
        return paths;
    }
}
