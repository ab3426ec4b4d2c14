namespace Kerno.Tests.Onnx;

/// <summary>Fresh temporary folders for tests that write files; removed when the test run ends.</summary>
internal static class TempDir
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "kerno-tests-" + Environment.ProcessId);

    static TempDir() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    };

    public static string Create()
    {
        string dir = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
