using System.Diagnostics;

namespace Kerno.Cli.Commands;

/// <summary>Renders DOT files with Graphviz's <c>dot</c> when it is installed (optional: scripts/setup.sh lists it).</summary>
internal static class Graphviz
{
    /// <summary>Tests set this to a path to stand for a machine with (or without) Graphviz; null searches PATH.</summary>
    internal static string? DotOverride { get; set; }

    /// <summary>The <c>dot</c> executable, or null when Graphviz is not installed.</summary>
    public static string? FindDot()
    {
        if (DotOverride is not null)
            return File.Exists(DotOverride) ? DotOverride : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "dot.exe" : "dot");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>The one-line hint printed when rendering is asked for and <c>dot</c> is missing.</summary>
    public static string MissingHint(string dotFile, string target) =>
        $"not rendered: Graphviz 'dot' is not installed (apt-get install graphviz); then: dot -T{Format(target)} {dotFile} -o {target}";

    /// <summary>The -T format for <paramref name="target"/>'s extension.</summary>
    public static string Format(string target) => Path.GetExtension(target).TrimStart('.').ToLowerInvariant() is "png" ? "png" : "svg";

    /// <summary>Runs <c>dot -Tsvg|png DOTFILE -o TARGET</c>; throws when dot fails.</summary>
    public static void Render(string dot, string dotFile, string target)
    {
        var start = new ProcessStartInfo(dot) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { $"-T{Format(target)}", dotFile, "-o", target })
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dot}");
        string errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{dot} took more than 2 minutes to lay out {dotFile}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{dot} failed on {dotFile} (exit code {process.ExitCode}): {errors.Trim()}");
    }
}
