using System.Reflection;

namespace Kerno.Reference;

/// <summary>A reference implementation of an operator.</summary>
public delegate Value?[] ReferenceKernel(OpContext context);

/// <summary>
/// The table of reference operator implementations, built once from every method marked with
/// <see cref="OnnxOpAttribute"/> in this assembly.
/// </summary>
public static class ReferenceOps
{
    private sealed record Entry(ReferenceKernel Kernel, int MinOpset);

    private static readonly Lazy<Dictionary<(string Domain, string OpType), Entry>> Table = new(Build);

    private static Dictionary<(string, string), Entry> Build()
    {
        var table = new Dictionary<(string, string), Entry>();
        foreach (Type type in typeof(ReferenceOps).Assembly.GetTypes())
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var attr = method.GetCustomAttribute<OnnxOpAttribute>();
                if (attr is null)
                    continue;
                ReferenceKernel kernel = Wrap(method);
                foreach (string op in attr.OpTypes)
                    if (!table.TryAdd((attr.Domain, op), new Entry(kernel, attr.MinOpset)))
                        throw new InvalidOperationException($"operator {attr.Domain}.{op} is registered twice ({type.Name}.{method.Name})");
            }
        }
        return table;
    }

    private static ReferenceKernel Wrap(MethodInfo method)
    {
        ParameterInfo[] ps = method.GetParameters();
        if (ps.Length != 1 || ps[0].ParameterType != typeof(OpContext))
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name}: a reference op takes exactly one OpContext");
        if (method.ReturnType == typeof(Value?[]))
            return method.CreateDelegate<ReferenceKernel>();
        if (typeof(Value).IsAssignableFrom(method.ReturnType))
        {
            var single = (Func<OpContext, Value>)Delegate.CreateDelegate(typeof(Func<OpContext, Value>), method);
            return ctx => [single(ctx)];
        }
        throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name}: returns {method.ReturnType.Name}, not Value?[] or a Value");
    }

    /// <summary>The implementation of (domain, op), or null when there is none for that opset.</summary>
    public static ReferenceKernel? Find(string domain, string opType, long opset)
    {
        domain = domain == "ai.onnx" ? "" : domain;
        return Table.Value.TryGetValue((domain, opType), out Entry? e) && opset >= e.MinOpset ? e.Kernel : null;
    }

    /// <summary>All registered (domain, op) pairs.</summary>
    public static IEnumerable<(string Domain, string OpType)> All => Table.Value.Keys;
}
