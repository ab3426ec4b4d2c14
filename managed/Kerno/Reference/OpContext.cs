using Kerno.Graph;

namespace Kerno.Reference;

/// <summary>Runs a subgraph (If/Loop/Scan body) with the given inputs; outer-scope values are visible by name.</summary>
public interface ISubgraphRunner
{
    /// <summary>Runs <paramref name="graph"/> with its formal inputs bound to <paramref name="inputs"/> and returns its outputs.</summary>
    Value?[] Run(ComputeGraph graph, IReadOnlyList<Value?> inputs);
}

/// <summary>Everything a reference operator sees: the node (attributes), the opset, inputs, and how many outputs are wanted.</summary>
public sealed class OpContext
{
    /// <summary>Creates a context.</summary>
    public OpContext(Node node, long opset, IReadOnlyList<Value?> inputs, ISubgraphRunner? subgraphs = null)
    {
        Node = node;
        Opset = opset;
        Inputs = inputs;
        Subgraphs = subgraphs;
    }

    /// <summary>The node being run.</summary>
    public Node Node { get; }

    /// <summary>Opset version of the node's domain in the model.</summary>
    public long Opset { get; }

    /// <summary>Inputs by position; null where the optional input is omitted.</summary>
    public IReadOnlyList<Value?> Inputs { get; }

    /// <summary>Runner for subgraph attributes (null where none is available).</summary>
    public ISubgraphRunner? Subgraphs { get; }

    /// <summary>Number of outputs the node declares (trailing omitted ones included).</summary>
    public int OutputCount => Node.Outputs.Count;

    /// <summary>True when output <paramref name="i"/> is declared and named (not omitted).</summary>
    public bool WantsOutput(int i) => i < Node.Outputs.Count && Node.Outputs[i].Length > 0;

    /// <summary>True when input <paramref name="i"/> is present.</summary>
    public bool HasInput(int i) => i < Inputs.Count && Inputs[i] is not null;

    /// <summary>Required tensor input.</summary>
    public Tensor Input(int i)
    {
        if (i >= Inputs.Count || Inputs[i] is null)
            throw Fail($"input {i} is required but missing");
        return Inputs[i] as Tensor ?? throw Fail($"input {i} should be a tensor, got {Inputs[i]!.GetType().Name}");
    }

    /// <summary>Required tensor input of element type <typeparamref name="T"/>.</summary>
    public Tensor<T> Input<T>(int i) =>
        Input(i) as Tensor<T> ?? throw Fail($"input {i} should have elements of {typeof(T).Name}, got {Input(i).DataType}");

    /// <summary>Optional tensor input: null when omitted.</summary>
    public Tensor? OptionalInput(int i) => HasInput(i) ? Input(i) : null;

    /// <summary>An exception naming this node and the problem (bad attribute, shape mismatch, ...).</summary>
    public KernoModelException Fail(string problem) => new(Node, problem);
}
