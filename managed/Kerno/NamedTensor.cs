namespace Kerno;

/// <summary>A tensor with the name of the graph input it feeds.</summary>
/// <param name="Name">The graph input's name.</param>
/// <param name="Tensor">The value.</param>
public sealed record NamedTensor(string Name, Tensor Tensor);

/// <summary>A named graph output: a tensor, a sequence or an optional (null when the model left it empty).</summary>
/// <param name="Name">The graph output's name.</param>
/// <param name="Value">The value.</param>
public sealed record NamedValue(string Name, Value? Value)
{
    /// <summary>The value as a tensor; throws when it is a sequence, an optional or missing.</summary>
    public Tensor AsTensor() => Value as Tensor
        ?? throw new InvalidOperationException($"output '{Name}' is {(Value is null ? "empty" : Value.GetType().Name)}, not a tensor");
}
