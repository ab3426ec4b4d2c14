namespace Kerno.Graph;

/// <summary>Activations that fused kernels apply on their output store (the kinds the native epilogues implement).</summary>
public enum ActivationKind
{
    /// <summary>Identity.</summary>
    None = 0,
    /// <summary>max(x, 0).</summary>
    Relu = 1,
    /// <summary>min(max(x, Alpha), Beta): Clip, ReLU6.</summary>
    Clip = 2,
    /// <summary>x &gt;= 0 ? x : Alpha * x.</summary>
    LeakyRelu = 3,
    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid = 4,
    /// <summary>x * max(0, min(1, x/6 + 1/2)).</summary>
    HardSwish = 5,
    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    GeluTanh = 6,
    /// <summary>x * sigmoid(x) (Swish with alpha 1).</summary>
    Silu = 7,
    /// <summary>max(0, min(1, Alpha x + Beta)).</summary>
    HardSigmoid = 8,
    /// <summary>tanh(x).</summary>
    Tanh = 9,
}

/// <summary>
/// An activation folded into a producing node: its kind and parameters. Stored on fused nodes as the
/// attributes <c>activation</c> (string) and <c>activation_params</c> (floats), so graphs stay printable.
/// </summary>
public readonly record struct FusedActivation(ActivationKind Kind, float Alpha = 0, float Beta = 0)
{
    /// <summary>Identity.</summary>
    public static FusedActivation None => new(ActivationKind.None);

    /// <summary>Applies the activation to one value (the reference semantics every kernel must match).</summary>
    public float Apply(float x) => Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => x > 0 ? x : 0,
        ActivationKind.Clip => MathF.Min(MathF.Max(x, Alpha), Beta),
        ActivationKind.LeakyRelu => x >= 0 ? x : Alpha * x,
        ActivationKind.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        ActivationKind.HardSwish => x * MathF.Max(0, MathF.Min(1, x / 6f + 0.5f)),
        ActivationKind.GeluTanh => 0.5f * x * (1f + MathF.Tanh(0.7978845608f * (x + 0.044715f * x * x * x))),
        ActivationKind.Silu => x / (1f + MathF.Exp(-x)),
        ActivationKind.HardSigmoid => MathF.Max(0, MathF.Min(1, Alpha * x + Beta)),
        ActivationKind.Tanh => MathF.Tanh(x),
        _ => throw new InvalidOperationException($"unknown activation {Kind}"),
    };

    /// <summary>Applies the activation to double values.</summary>
    public double Apply(double x) => Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => x > 0 ? x : 0,
        ActivationKind.Clip => Math.Min(Math.Max(x, Alpha), Beta),
        ActivationKind.LeakyRelu => x >= 0 ? x : Alpha * x,
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        ActivationKind.HardSwish => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        ActivationKind.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        ActivationKind.Silu => x / (1 + Math.Exp(-x)),
        ActivationKind.HardSigmoid => Math.Max(0, Math.Min(1, Alpha * x + Beta)),
        ActivationKind.Tanh => Math.Tanh(x),
        _ => throw new InvalidOperationException($"unknown activation {Kind}"),
    };

    /// <summary>The attributes that record this activation on a fused node.</summary>
    public IEnumerable<AttributeValue> ToAttributes()
    {
        if (Kind == ActivationKind.None)
            yield break;
        yield return new AttributeValue { Name = "activation", Kind = AttributeKind.String, String = Kind.ToString() };
        yield return new AttributeValue { Name = "activation_params", Kind = AttributeKind.Floats, Floats = [Alpha, Beta] };
    }

    /// <summary>Reads the activation recorded on a fused node (None when absent).</summary>
    public static FusedActivation FromNode(Node node)
    {
        string name = node.GetString("activation", "None");
        if (!Enum.TryParse(name, out ActivationKind kind))
            throw new KernoModelException(node, $"unknown fused activation '{name}'");
        float[] p = node.GetFloats("activation_params") ?? [0, 0];
        return new FusedActivation(kind, p.Length > 0 ? p[0] : 0, p.Length > 1 ? p[1] : 0);
    }
}
