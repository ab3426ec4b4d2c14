using Kerno.Graph;

namespace Kerno.Execution;

/// <summary>
/// Expands calls to model-local ONNX functions (FunctionProto) into their body nodes: formal inputs and
/// outputs are renamed to the caller's values, body-internal values get a unique prefix, and attribute
/// references (ref_attr_name) take the caller's attribute or the function's default.
/// </summary>
internal sealed class FunctionInliner
{
    private const int MaxDepth = 16;
    private readonly Model model;
    private int counter;

    public FunctionInliner(Model model) => this.model = model;

    /// <summary>A node to run, with the opset its domain has where it was written and that scope's opsets (for its subgraphs).</summary>
    public sealed record Step(Node Node, long Opset, Func<string, long> OpsetOf);

    /// <summary>
    /// Returns the nodes to run for <paramref name="nodes"/>: nodes with a reference kernel as they are,
    /// function calls expanded. <paramref name="opsetOf"/> gives the opset of a domain in this scope.
    /// Nodes with neither a kernel nor a function are returned as they are (the caller reports them).
    /// </summary>
    public List<Step> Expand(IEnumerable<Node> nodes, Func<string, long> opsetOf, int depth = 0)
    {
        var steps = new List<Step>();
        foreach (Node node in nodes)
        {
            long opset = opsetOf(node.Domain);
            if (Reference.ReferenceOps.Find(node.Domain, node.OpType, opset) is null
                && model.Functions.TryGetValue((node.Domain, node.OpType), out FunctionDefinition? fn))
            {
                if (depth >= MaxDepth)
                    throw new KernoModelException(node, $"function calls nest deeper than {MaxDepth} (recursive function?)");
                Func<string, long> inner = d => fn.OpsetImports.TryGetValue(d, out long v) ? v : opsetOf(d);
                steps.AddRange(Expand(Instantiate(node, fn), inner, depth + 1));
            }
            else
                steps.Add(new Step(node, opset, opsetOf));
        }
        return steps;
    }

    private IEnumerable<Node> Instantiate(Node call, FunctionDefinition fn)
    {
        string prefix = $"{(call.Name.Length > 0 ? call.Name : call.OpType + "#" + call.Index)}/{fn.Name}#{counter++}/";
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < fn.Inputs.Count; ++i)
            rename[fn.Inputs[i]] = i < call.Inputs.Count ? call.Inputs[i] : "";
        for (int i = 0; i < fn.Outputs.Count; ++i)
            rename[fn.Outputs[i]] = i < call.Outputs.Count ? call.Outputs[i] : "";
        string Map(string name) => name.Length == 0 ? "" : rename.TryGetValue(name, out string? to) ? to : prefix + name;

        foreach (Node body in fn.Body)
        {
            var attributes = new List<AttributeValue>();
            foreach (AttributeValue a in body.Attributes.Values)
            {
                if (a.RefAttrName is null)
                {
                    attributes.Add(a);
                    continue;
                }
                AttributeValue? source = call.Attribute(a.RefAttrName)
                    ?? fn.AttributeDefaults.FirstOrDefault(d => d.Name == a.RefAttrName);
                if (source is not null)
                    attributes.Add(Renamed(source, a.Name));
            }
            yield return new Node(prefix + (body.Name.Length > 0 ? body.Name : body.OpType + "#" + body.Index), body.OpType, body.Domain,
                body.Inputs.Select(Map), body.Outputs.Select(Map), attributes)
            {
                Index = call.Index,
                DocString = body.DocString,
            };
        }
    }

    private static AttributeValue Renamed(AttributeValue a, string name) => new()
    {
        Name = name,
        Kind = a.Kind,
        Float = a.Float,
        Int = a.Int,
        String = a.String,
        Tensor = a.Tensor,
        Graph = a.Graph,
        Type = a.Type,
        Floats = a.Floats,
        Ints = a.Ints,
        Strings = a.Strings,
        Tensors = a.Tensors,
        Graphs = a.Graphs,
        Types = a.Types,
    };
}
