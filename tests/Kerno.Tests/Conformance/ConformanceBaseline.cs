using System.Text.Json;

namespace Kerno.Tests.Conformance;

/// <summary>The checked-in pass floors and expected failures the conformance tests hold the engine to.</summary>
internal static class ConformanceBaseline
{
    private static string Folder => Path.Combine(RepoPaths.Root, "tests", "Kerno.Tests", "Conformance");

    /// <summary>Minimum passes per data folder (floors.json).</summary>
    public static IReadOnlyDictionary<string, int> Floors { get; } = LoadFloors();

    /// <summary>"folder/test" of tests known to fail, with the reason (expected_failures.txt).</summary>
    public static IReadOnlyDictionary<string, string> ExpectedFailures { get; } = LoadExpectedFailures();

    private static Dictionary<string, int> LoadFloors()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "floors.json")));
        return doc.RootElement.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Number)
            .ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    private static Dictionary<string, string> LoadExpectedFailures()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadLines(Path.Combine(Folder, "expected_failures.txt")))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            int space = line.IndexOfAny([' ', '\t']);
            string name = space < 0 ? line : line[..space];
            string reason = space < 0 ? "" : line[space..].Trim();
            result[name] = reason;
        }
        return result;
    }
}
