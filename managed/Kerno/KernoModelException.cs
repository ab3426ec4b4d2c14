namespace Kerno;

/// <summary>
/// A model is malformed, hostile, or uses something Kerno does not support. The message names the node,
/// its operator and what is wrong, so the user can act on it.
/// </summary>
public sealed class KernoModelException : Exception
{
    /// <summary>Creates the exception with a complete message.</summary>
    public KernoModelException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and its cause.</summary>
    public KernoModelException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception for a problem at one node: "node 'name' (OpType): problem".</summary>
    public KernoModelException(Graph.Node node, string problem) : base($"{Describe(node)}: {problem}")
    {
        NodeName = node.Name;
        OpType = node.OpType;
    }

    /// <summary>Creates the exception for a problem at one node, with its cause.</summary>
    public KernoModelException(Graph.Node node, string problem, Exception inner) : base($"{Describe(node)}: {problem}", inner)
    {
        NodeName = node.Name;
        OpType = node.OpType;
    }

    /// <summary>
    /// When the model uses operators Kerno cannot run: each as "Domain.OpType (opset N)". Empty otherwise.
    /// Lets tools tell "not supported yet" apart from "broken model".
    /// </summary>
    public IReadOnlyList<string> UnsupportedOperators { get; init; } = [];

    /// <summary>The node's name, when the problem is at a node.</summary>
    public string? NodeName { get; }

    /// <summary>The node's operator, when the problem is at a node.</summary>
    public string? OpType { get; }

    /// <summary>"node 'name' (Domain.OpType)", or "node #i (OpType)" for an unnamed node.</summary>
    public static string Describe(Graph.Node node)
    {
        string op = string.IsNullOrEmpty(node.Domain) || node.Domain == "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}";
        return string.IsNullOrEmpty(node.Name) ? $"node #{node.Index} ({op})" : $"node '{node.Name}' ({op})";
    }
}
