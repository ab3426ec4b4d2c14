using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kerno.Kernels;
using Kerno.Planning;

namespace Kerno.Tuning;

/// <summary>One tuned node as stored: its key, operator, geometry, the cost model's choice, the measured times and the winner.</summary>
internal sealed record TunedNode(string Node, string OpType, ConvGeometry Geometry, ConvAlgorithm Default, ConvAlgorithm Chosen,
    IReadOnlyDictionary<ConvAlgorithm, double> MedianMs);

/// <summary>
/// The tuning cache file (JSON): written by <c>kerno tune</c>, read at session creation. Keyed by the model file's
/// SHA-256 and <see cref="CpuIdentity"/>, with one section per thread count (a convolution is split per thread,
/// so the best algorithm may differ). By default <c>$XDG_CACHE_HOME/kerno/tuning/&lt;sha256&gt;.json</c>
/// (<c>~/.cache/...</c> when XDG_CACHE_HOME is not set). Anything unreadable, from another model, CPU or format
/// is ignored with a warning: the session then uses the cost model.
/// </summary>
internal static class TuningCache
{
    public const int Format = 1;

    /// <summary>The directory default cache files live in.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "kerno", "tuning");
        }
    }

    public static string DefaultPath(string modelHash) => Path.Combine(DefaultDirectory, modelHash + ".json");

    public static string HashFile(string path)
    {
        using FileStream f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// The choices for a new session, or null. <paramref name="explicitPath"/> is <see cref="SessionOptions.TuningCachePath"/>;
    /// without it the default directory is looked at, and the model is hashed only when that directory holds a cache
    /// file (so sessions of never-tuned models do not pay for hashing).
    /// </summary>
    public static TuningChoices? ForSession(string? explicitPath, Func<string> modelHash, int threads, List<string> warnings)
    {
        try
        {
            string? path = explicitPath;
            string? hash = null;
            if (path is null)
            {
                string dir = DefaultDirectory;
                if (!Directory.Exists(dir) || !Directory.EnumerateFiles(dir, "*.json").Any())
                    return null;
                hash = modelHash();
                path = DefaultPath(hash);
            }
            if (!File.Exists(path))
                return null;
            return Load(path, hash ?? modelHash(), CpuIdentity.Current, threads, warnings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            warnings.Add($"tuning cache not read ({e.Message}); the cost model's choices are used");
            return null;
        }
    }

    /// <summary>Reads the section for <paramref name="threads"/> threads; null (and a warning) when the file is corrupt,
    /// stale (another model), foreign (another CPU) or has no section for this thread count.</summary>
    public static TuningChoices? Load(string path, string modelHash, string cpu, int threads, List<string> warnings)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            warnings.Add($"tuning cache {path} is unreadable ({e.Message}); ignored");
            return null;
        }
        try
        {
            if ((int?)root["format"] != Format)
            {
                warnings.Add($"tuning cache {path} has format {root["format"]?.ToJsonString() ?? "none"}, not {Format}; ignored");
                return null;
            }
            if ((string?)root["modelSha256"] != modelHash)
            {
                warnings.Add($"tuning cache {path} is for another model (SHA-256 {(string?)root["modelSha256"]}); ignored");
                return null;
            }
            if ((string?)root["cpu"] != cpu)
            {
                warnings.Add($"tuning cache {path} was made on another CPU ({(string?)root["cpu"]}; this one: {cpu}); ignored");
                return null;
            }
            if (root["threads"]?[threads.ToString(CultureInfo.InvariantCulture)]?["nodes"] is not JsonArray nodes)
            {
                warnings.Add($"tuning cache {path} has no results for {threads} thread(s); run kerno tune --threads {threads}");
                return null;
            }
            var byNode = new Dictionary<string, TunedConv>(StringComparer.Ordinal);
            foreach (JsonNode? n in nodes)
            {
                if (n is not JsonObject o || (string?)o["node"] is not { } name || ReadGeometry(o["geometry"]) is not { } g
                    || !Enum.TryParse((string?)o["chosen"], out ConvAlgorithm a) || a == ConvAlgorithm.Auto || !Enum.IsDefined(a))
                {
                    warnings.Add($"tuning cache {path}: an entry is malformed ({n?.ToJsonString()}); skipped");
                    continue;
                }
                byNode[name] = new TunedConv(g, a, (string?)o["op"]);
            }
            return new TuningChoices(byNode);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException)
        {
            warnings.Add($"tuning cache {path} is malformed ({e.Message}); ignored");
            return null;
        }
    }

    /// <summary>Writes (or replaces) the section for <paramref name="threads"/> threads, keeping other thread counts'
    /// sections of a matching file. Written to a temporary file and renamed, so a reader never sees half a file.</summary>
    public static void Save(string path, string modelHash, string modelPath, int threads, IReadOnlyList<TunedNode> nodes,
        double beforeMs, double afterMs)
    {
        string cpu = CpuIdentity.Current;
        JsonObject? root = null;
        try
        {
            // Other thread counts' sections survive only in a file for this very model and CPU.
            if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject old && (int?)old["format"] == Format
                && (string?)old["modelSha256"] == modelHash && (string?)old["cpu"] == cpu)
                root = old;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            root = null;
        }
        root ??= new JsonObject();
        root["format"] = Format;
        root["modelSha256"] = modelHash;
        root["model"] = Path.GetFileName(modelPath);
        root["cpu"] = cpu;
        root["kerno"] = KernoRuntimeInfo.ManagedVersion;
        if (root["threads"] is not JsonObject sections)
            root["threads"] = sections = new JsonObject();
        var list = new JsonArray();
        foreach (TunedNode n in nodes)
        {
            var times = new JsonObject();
            foreach ((ConvAlgorithm a, double ms) in n.MedianMs)
                times[a.ToString()] = double.IsFinite(ms) ? JsonValue.Create(Math.Round(ms, 4)) : null;
            list.Add(new JsonObject
            {
                ["node"] = n.Node,
                ["op"] = n.OpType,
                ["geometry"] = WriteGeometry(n.Geometry),
                ["default"] = n.Default.ToString(),
                ["chosen"] = n.Chosen.ToString(),
                ["medianMs"] = times,
            });
        }
        sections[threads.ToString(CultureInfo.InvariantCulture)] = new JsonObject
        {
            ["tunedAt"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["latencyBeforeMs"] = double.IsFinite(beforeMs) ? JsonValue.Create(Math.Round(beforeMs, 4)) : null,
            ["latencyAfterMs"] = double.IsFinite(afterMs) ? JsonValue.Create(Math.Round(afterMs, 4)) : null,
            ["nodes"] = list,
        };
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        string tmp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(tmp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }

    private static JsonArray WriteGeometry(ConvGeometry g) =>
        [g.N, g.C, g.H, g.W, g.K, g.KH, g.KW, g.Group, g.StrideH, g.StrideW, g.DilationH, g.DilationW, g.PadTop, g.PadLeft, g.PadBottom, g.PadRight];

    private static ConvGeometry? ReadGeometry(JsonNode? node)
    {
        if (node is not JsonArray a || a.Count != 16)
            return null;
        var v = new int[16];
        for (int i = 0; i < 16; ++i)
            if (a[i] is not JsonValue x || !x.TryGetValue(out v[i]) || v[i] < 0)
                return null;
        return new ConvGeometry(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]);
    }
}
