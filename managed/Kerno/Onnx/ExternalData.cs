using System.Globalization;
using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>
/// Reads a tensor's bytes from an external data file. The file must stay inside the model's folder: an
/// absolute location, a <c>..</c> escape or a symlink pointing outside is refused, because a model from an
/// untrusted source must not make Kerno read arbitrary files.
/// </summary>
internal static class ExternalData
{
    public static byte[] Read(TensorProto proto, string what, long expectedBytes, LoadContext context)
    {
        string? location = null;
        long offset = 0;
        long length = -1;
        foreach (StringStringEntryProto e in proto.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset": offset = ParseNumber(e.Value, "offset", what); break;
                case "length": length = ParseNumber(e.Value, "length", what); break;
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new KernoModelException($"{what}: external data has no 'location'");
        if (context.BaseDirectory is null)
            throw new KernoModelException($"{what}: external data '{location}' needs the model's folder; load the model from a file path");
        string path = Resolve(context.BaseDirectory, location, what);
        if (length < 0)
            length = expectedBytes;
        if (length != expectedBytes)
            throw new KernoModelException($"{what}: external data length {length} does not match the {expectedBytes} bytes the shape and type need");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (offset > file.Length || length > file.Length - offset)
            throw new KernoModelException($"{what}: external data range [{offset}, {offset}+{length}) is outside '{location}' ({file.Length} bytes)");
        context.ExternalBytes += length;
        if (context.ExternalBytes > context.Limits.MaxModelBytes)
            throw new KernoModelException($"{what}: external data exceeds the {context.Limits.MaxModelBytes}-byte model limit");
        var bytes = new byte[length];
        file.Position = offset;
        file.ReadExactly(bytes);
        return bytes;
    }

    private static long ParseNumber(string text, string key, string what) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new KernoModelException($"{what}: external data {key} '{text}' is not a non-negative integer");

    /// <summary>The full path of <paramref name="location"/> under <paramref name="baseDirectory"/>, symlinks resolved, or an exception when it escapes.</summary>
    public static string Resolve(string baseDirectory, string location, string what)
    {
        if (location.Contains('\0'))
            throw new KernoModelException($"{what}: external data location contains a NUL character");
        if (Path.IsPathRooted(location) || location.StartsWith('/') || location.StartsWith('\\'))
            throw new KernoModelException($"{what}: external data location '{location}' is absolute; it must be relative to the model's folder");
        string[] parts = location.Split('/', '\\');
        if (parts.Any(p => p == ".."))
            throw new KernoModelException($"{what}: external data location '{location}' leaves the model's folder ('..')");
        string root = RealPath(Path.GetFullPath(baseDirectory));
        string full = RealPath(Path.GetFullPath(Path.Combine(root, location)));
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new KernoModelException($"{what}: external data location '{location}' resolves to '{full}', outside the model's folder");
        if (!File.Exists(full))
            throw new KernoModelException($"{what}: external data file '{location}' does not exist");
        return full;
    }

    /// <summary>Resolves every symlink along <paramref name="fullPath"/> (like POSIX realpath), component by component.</summary>
    private static string RealPath(string fullPath)
    {
        string current = Path.GetPathRoot(fullPath) ?? "/";
        string[] parts = fullPath[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        int hops = 0;
        foreach (string part in parts)
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is null)
                continue;
            // A link may point at another link; ResolveLinkTarget follows the chain, but a relative target
            // may itself contain links in its folders, so resolve the result again (bounded against loops).
            FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || ++hops > 40)
                return current;
            current = RealPath(Path.GetFullPath(target.FullName));
        }
        return current;
    }
}
