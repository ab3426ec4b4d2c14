namespace Kerno.Tests;

/// <summary>Where the repository and the shared test data are, for tests that read files.</summary>
internal static class RepoPaths
{
    /// <summary>The repository root (the folder holding Kerno.slnx), found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kerno.slnx")))
                return dir.FullName;
        throw new InvalidOperationException($"repository root not found above {AppContext.BaseDirectory}");
    }

    public static string Header => Path.Combine(Root, "bindings", "kerno.h");

    /// <summary>The shared test data (KERNO_TEST_DATA, default ../shared next to the repository); null when absent.</summary>
    public static string? SharedData
    {
        get
        {
            string path = Environment.GetEnvironmentVariable("KERNO_TEST_DATA") ?? Path.Combine(Root, "..", "shared");
            return Directory.Exists(path) ? Path.GetFullPath(path) : null;
        }
    }

    /// <summary>Debian's ONNX backend test data (apt-get install libonnx-testdata); null when absent.</summary>
    public static string? DebianOnnxData =>
        Directory.Exists("/usr/share/libonnx-testdata/data") ? "/usr/share/libonnx-testdata/data" : null;
}
