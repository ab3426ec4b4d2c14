namespace Kerno.Graph;

/// <summary>
/// Structural checks a model must pass before it runs: every input defined, every value produced once,
/// no cycles, every domain imported, subgraphs reading only values their enclosing scopes define.
/// Each problem is a <see cref="KernoModelException"/> naming the node.
/// </summary>
public static class GraphValidator
{
    /// <summary>Validates the main graph and, recursively, every subgraph.</summary>
    public static void Validate(Model model)
    {
        ValidateGraph(model.Graph, model, new Scope(null));
    }

    /// <summary>The names visible at one graph level, chained to the enclosing graph's.</summary>
    private sealed class Scope(Scope? parent)
    {
        private readonly HashSet<string> names = new(StringComparer.Ordinal);

        public bool Add(string name) => names.Add(name);

        public bool Contains(string name) => names.Contains(name) || (parent?.Contains(name) ?? false);

        public bool ContainsLocal(string name) => names.Contains(name);
    }

    private static void ValidateGraph(ComputeGraph graph, Model model, Scope scope)
    {
        string where = graph.Parent is null ? "the main graph" : $"subgraph '{graph.Name}'";
        foreach (ValueInfo input in graph.Inputs)
            if (!scope.Add(input.Name) && !graph.Initializers.ContainsKey(input.Name))
                throw new KernoModelException($"{where}: input '{input.Name}' is declared twice");
        foreach (string name in graph.Initializers.Keys)
            scope.Add(name);

        foreach (Node node in graph.Nodes)
        {
            string domain = node.Domain;
            if (!model.OpsetImports.ContainsKey(domain) && !model.Functions.ContainsKey((domain, node.OpType)))
                throw new KernoModelException(node, $"uses domain '{(domain.Length == 0 ? "ai.onnx" : domain)}', which the model does not import (opset_import)");
            foreach (string output in node.Outputs)
                if (output.Length > 0 && !scope.Add(output))
                    throw new KernoModelException(node, scope.ContainsLocal(output) && graph.Initializers.ContainsKey(output)
                        ? $"output '{output}' has the name of an initializer"
                        : $"output '{output}' is produced more than once");
        }

        // All outputs are known now, so inputs can be checked regardless of file order (sorting comes later).
        foreach (Node node in graph.Nodes)
        {
            foreach (string input in node.Inputs)
                if (input.Length > 0 && !scope.Contains(input))
                    throw new KernoModelException(node, $"input '{input}' is not a graph input, an initializer, or any node's output" +
                        (graph.Parent is null ? "" : " (nor a value of an enclosing graph)"));
            foreach (ComputeGraph sub in GraphScopes.Subgraphs(node))
                ValidateGraph(sub, model, new Scope(scope));
        }

        foreach (ValueInfo output in graph.Outputs)
            if (!scope.Contains(output.Name))
                throw new KernoModelException($"{where}: output '{output.Name}' is not produced by any node");

        TopologicalSort.Sort(graph.Nodes);
    }
}
