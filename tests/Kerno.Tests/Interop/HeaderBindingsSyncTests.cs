using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Kerno.Interop;

namespace Kerno.Tests.Interop;

/// <summary>
/// bindings/kerno.h is the ABI; NativeMethods must mirror it exactly. This test parses every
/// KERNO_API prototype and compares name, parameter count and each type with the [LibraryImport]s.
/// </summary>
public class HeaderBindingsSyncTests
{
    internal sealed record Prototype(string Name, string ReturnType, IReadOnlyList<string> ParameterTypes);

    internal static IReadOnlyList<Prototype> ParseHeader(string text)
    {
        text = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
        text = Regex.Replace(text, @"//[^\n]*", " ");
        var result = new List<Prototype>();
        foreach (Match m in Regex.Matches(text, @"^\s*KERNO_API\s+([^;]+?)\s*\(([^)]*)\)\s*;", RegexOptions.Multiline))
        {
            string head = Regex.Replace(m.Groups[1].Value, @"\s+", " ").Trim();
            var nameMatch = Regex.Match(head, @"^(.*?)([A-Za-z_][A-Za-z0-9_]*)$");
            string returnType = Normalize(nameMatch.Groups[1].Value);
            string name = nameMatch.Groups[2].Value;
            string ps = Regex.Replace(m.Groups[2].Value, @"\s+", " ").Trim();
            var parameters = new List<string>();
            if (ps != "void" && ps.Length > 0)
            {
                foreach (string p in ps.Split(','))
                {
                    var pm = Regex.Match(p.Trim(), @"^(.*?)([A-Za-z_][A-Za-z0-9_]*)$");
                    parameters.Add(Normalize(pm.Groups[1].Value));
                }
            }
            result.Add(new Prototype(name, returnType, parameters));
        }
        return result;
    }

    /// <summary>"const float *" -> "float*": const does not change the C# type.</summary>
    private static string Normalize(string cType) =>
        Regex.Replace(Regex.Replace(cType, @"\bconst\b", ""), @"\s+", "").Trim();

    /// <summary>The C# type a C type must be declared as.</summary>
    internal static Type CSharpTypeFor(string cType)
    {
        int pointers = cType.Count(c => c == '*');
        string baseType = cType.TrimEnd('*');
        Type t = baseType switch
        {
            "void" => typeof(void),
            "char" => typeof(byte),
            "int8_t" => typeof(sbyte),
            "uint8_t" => typeof(byte),
            "int16_t" => typeof(short),
            "uint16_t" => typeof(ushort),
            "int32_t" or "kerno_status" => typeof(int),
            "uint32_t" => typeof(uint),
            "int64_t" => typeof(long),
            "uint64_t" => typeof(ulong),
            "size_t" => typeof(nuint),
            "ptrdiff_t" => typeof(nint),
            "float" => typeof(float),
            "double" => typeof(double),
            _ when baseType.StartsWith("kerno_", StringComparison.Ordinal) && baseType.EndsWith("_t", StringComparison.Ordinal) && pointers > 0
                => typeof(nint), // opaque handle types
            _ => throw new InvalidOperationException($"kerno.h uses C type '{cType}', which has no agreed C# mapping: add one here"),
        };
        if (t == typeof(nint) && baseType.StartsWith("kerno_", StringComparison.Ordinal))
            pointers--;
        for (int i = 0; i < pointers; ++i)
            t = t.MakePointerType();
        return t;
    }

    private static Dictionary<string, MethodInfo> Imports() =>
        typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Select(m => (m, a: m.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(x => x.a is not null)
            .ToDictionary(x => x.a!.EntryPoint ?? x.m.Name, x => x.m);

    [Test]
    public void HeaderParses()
    {
        var protos = ParseHeader(File.ReadAllText(RepoPaths.Header));
        Assert.That(protos.Select(p => p.Name), Does.Contain("kerno_abi_version").And.Contain("kerno_cpu_features"));
    }

    [Test]
    public void EveryHeaderFunctionIsDeclaredWithTheSameSignature()
    {
        var imports = Imports();
        var problems = new List<string>();
        foreach (var proto in ParseHeader(File.ReadAllText(RepoPaths.Header)))
        {
            if (!imports.TryGetValue(proto.Name, out MethodInfo? m))
            {
                problems.Add($"{proto.Name}: in kerno.h but not in NativeMethods");
                continue;
            }
            if (m.ReturnType != CSharpTypeFor(proto.ReturnType))
                problems.Add($"{proto.Name}: returns {proto.ReturnType} in C, {m.ReturnType} in C#");
            ParameterInfo[] ps = m.GetParameters();
            if (ps.Length != proto.ParameterTypes.Count)
            {
                problems.Add($"{proto.Name}: {proto.ParameterTypes.Count} parameters in C, {ps.Length} in C#");
                continue;
            }
            for (int i = 0; i < ps.Length; ++i)
                if (ps[i].ParameterType != CSharpTypeFor(proto.ParameterTypes[i]))
                    problems.Add($"{proto.Name}: parameter {i} is {proto.ParameterTypes[i]} in C, {ps[i].ParameterType} in C#");
        }
        Assert.That(problems, Is.Empty, string.Join("\n", problems));
    }

    [Test]
    public void EveryDeclarationIsInTheHeader()
    {
        var names = ParseHeader(File.ReadAllText(RepoPaths.Header)).Select(p => p.Name).ToHashSet();
        var extra = Imports().Keys.Where(n => !names.Contains(n)).ToList();
        Assert.That(extra, Is.Empty, "declared in NativeMethods but not in kerno.h: " + string.Join(", ", extra));
    }

    [Test]
    public void TheCheckDetectsARemovedFunctionAndAChangedType()
    {
        string header = File.ReadAllText(RepoPaths.Header);
        var names = ParseHeader(header.Replace("KERNO_API uint64_t kerno_cpu_features(void);", "")).Select(p => p.Name);
        Assert.That(names, Does.Not.Contain("kerno_cpu_features"));
        var changed = ParseHeader("KERNO_API void* kerno_aligned_alloc(int32_t size, size_t alignment);").Single();
        Assert.That(CSharpTypeFor(changed.ParameterTypes[0]), Is.Not.EqualTo(typeof(nuint)));
    }

    [Test]
    public void EveryExportedFunctionCanBeResolved()
    {
        Native.EnsureLoaded();
        IntPtr lib = NativeLibrary.Load(NativeLibraryResolver.LoadedFrom!);
        foreach (var proto in ParseHeader(File.ReadAllText(RepoPaths.Header)))
            Assert.That(NativeLibrary.TryGetExport(lib, proto.Name, out _), Is.True, $"{proto.Name} is not exported by libkerno");
    }
}
