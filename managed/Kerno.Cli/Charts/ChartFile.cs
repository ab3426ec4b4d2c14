using ScottPlot;

namespace Kerno.Cli.Charts;

/// <summary>Saving a ScottPlot chart as SVG or PNG by the file's extension, with a font that exists on the machine.</summary>
internal static class ChartFile
{
    /// <summary>Fonts registered with ScottPlot by file: the Linux SkiaSharp natives Kerno ships have no fontconfig, so
    /// fonts are not found by family name (Debian: fonts-dejavu-core, installed by scripts/setup.sh).</summary>
    private static readonly string[] FontFolders = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF"];

    private const string Family = "DejaVu Sans";

    private static readonly Lazy<string?> RegisteredFamily = new(Register);

    /// <summary>Fails with a usage error before any long work when the chart could not be written by its extension.</summary>
    public static void Validate(string path, string option)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".svg" or ".png"))
            throw new CliUsageException($"{option}: expected a file ending in .svg or .png, got '{path}'");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new CliUsageException($"{option}: the folder of '{path}' does not exist");
    }

    /// <summary>A plot with the registered font on every label, white background.</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        if (RegisteredFamily.Value is { } family)
            plot.Font.Set(family);
        return plot;
    }

    /// <summary>Writes <paramref name="plot"/> as SVG or PNG by the extension of <paramref name="path"/>.</summary>
    public static void Save(Plot plot, string path, int width, int height)
    {
        if (Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase))
            plot.SavePng(path, width, height);
        else
            plot.SaveSvg(path, width, height);
    }

    /// <summary>The family name of the font registered with ScottPlot, or null when none was found (a warning says so).</summary>
    private static string? Register()
    {
        foreach (string folder in FontFolders)
        {
            string regular = Path.Combine(folder, "DejaVuSans.ttf"), bold = Path.Combine(folder, "DejaVuSans-Bold.ttf");
            if (!File.Exists(regular))
                continue;
            Fonts.AddFontFile(Family, regular, bold: false, italic: false);
            if (File.Exists(bold))
                Fonts.AddFontFile(Family, bold, bold: true, italic: false);
            return Family;
        }
        Console.Error.WriteLine("warning: DejaVu Sans not found (apt-get install fonts-dejavu-core): chart labels may not render");
        return null;
    }
}
