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

    internal sealed record StructField(string Name, string CType);

    /// <summary>Every <c>typedef struct kerno_x_t { ... } kerno_x_t;</c> in the header, with its fields in order.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<StructField>> ParseStructs(string text)
    {
        text = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
        text = Regex.Replace(text, @"//[^\n]*", " ");
        var result = new Dictionary<string, IReadOnlyList<StructField>>();
        foreach (Match m in Regex.Matches(text, @"typedef\s+struct\s+(\w+)\s*\{([^}]*)\}\s*(\w+)\s*;"))
        {
            Assert.That(m.Groups[3].Value, Is.EqualTo(m.Groups[1].Value), "struct tag and typedef name must match");
            var fields = new List<StructField>();
            foreach (string decl in m.Groups[2].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var fm = Regex.Match(Regex.Replace(decl, @"\s+", " "), @"^(.*?)([A-Za-z_][A-Za-z0-9_]*)$");
                fields.Add(new StructField(fm.Groups[2].Value, Normalize(fm.Groups[1].Value)));
            }
            result[m.Groups[1].Value] = fields;
        }
        return result;
    }

    /// <summary>A struct's fields' C types (natural alignment, LP64 / LLP64) give the offsets C# must match.</summary>
    private static int CSize(string cType) => cType.EndsWith('*') ? IntPtr.Size : cType switch
    {
        "int8_t" or "uint8_t" or "char" => 1,
        "int16_t" or "uint16_t" => 2,
        "int32_t" or "uint32_t" or "float" or "kerno_status" => 4,
        "int64_t" or "uint64_t" or "double" => 8,
        "size_t" or "ptrdiff_t" => IntPtr.Size,
        _ => throw new InvalidOperationException($"struct field type '{cType}' has no agreed size: add one here"),
    };

    [Test]
    public void EveryHeaderStructIsMirroredWithTheSameLayout()
    {
        var structs = ParseStructs(File.ReadAllText(RepoPaths.Header));
        Assert.That(structs, Does.ContainKey("kerno_sgemm_epilogue_t"));
        var problems = new List<string>();
        foreach (var (name, fields) in structs)
        {
            Type? t = typeof(NativeMethods).GetNestedType(name, BindingFlags.NonPublic | BindingFlags.Public);
            if (t is null || !t.IsValueType || !t.IsLayoutSequential)
            {
                problems.Add($"{name}: no sequential struct NativeMethods.{name}");
                continue;
            }
            FieldInfo[] cs = t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (cs.Length != fields.Count)
            {
                problems.Add($"{name}: {fields.Count} fields in C, {cs.Length} in C#");
                continue;
            }
            int offset = 0, align = 1;
            for (int i = 0; i < fields.Count; ++i)
            {
                int size = CSize(fields[i].CType);
                offset = (offset + size - 1) / size * size;
                align = Math.Max(align, size);
                FieldInfo f = t.GetField(fields[i].Name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!;
                if (f is null)
                    problems.Add($"{name}.{fields[i].Name}: missing in C#");
                else if (f.FieldType != CSharpTypeFor(fields[i].CType))
                    problems.Add($"{name}.{fields[i].Name}: {fields[i].CType} in C, {f.FieldType} in C#");
                else if ((int)Marshal.OffsetOf(t, f.Name) != offset)
                    problems.Add($"{name}.{fields[i].Name}: offset {offset} in C, {Marshal.OffsetOf(t, f.Name)} in C#");
                offset += size;
            }
            int total = (offset + align - 1) / align * align;
            if (Marshal.SizeOf(t) != total)
                problems.Add($"{name}: {total} bytes in C, {Marshal.SizeOf(t)} in C#");
        }
        Assert.That(problems, Is.Empty, string.Join("\n", problems));
    }

    [Test]
    public void TheStructCheckDetectsAReorderedField()
    {
        var s = ParseStructs("typedef struct kerno_x_t { float b; int32_t a; const float* p; } kerno_x_t;")["kerno_x_t"];
        Assert.That(s.Select(f => f.Name), Is.EqualTo(new[] { "b", "a", "p" }));
        Assert.That(s[2].CType, Is.EqualTo("float*"));
    }
}
