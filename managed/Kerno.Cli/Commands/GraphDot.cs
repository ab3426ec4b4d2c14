using System.Globalization;
using System.Text;
using Kerno.Graph;
using Kerno.Optimizer.Passes;

namespace Kerno.Cli.Commands;

/// <summary>
/// The optimized graph as Graphviz DOT, for <c>kerno inspect --dot</c>: one box per step labelled with its operator,
/// the kernel the native backend chose and the output shape. Nodes the optimizer fused are blue and say what they
/// replace (e.g. Conv+Add+Relu); nodes on a managed reference kernel are amber.
/// </summary>
internal static class GraphDot
{
    /// <summary>One step of the execution order: its node, kernel and first output's shape.</summary>
    public sealed record Step(int Index, Node Node, string Kernel, bool Native, string Shape);

    private const string FusedFill = "#DBEAFE", ReferenceFill = "#FEF3C7", PlainFill = "#FFFFFF", IoFill = "#F3F4F6";

    public static string Write(string title, ComputeGraph graph, IReadOnlyList<Step> steps, Func<string, string> shapeOf)
    {
        var sb = new StringBuilder();
        sb.Append("digraph kerno {\n");
        sb.Append(CultureInfo.InvariantCulture, $"  graph [rankdir=TB, fontname=\"DejaVu Sans\", fontsize=12, labelloc=t, label={Quote(title + "\nblue: fused by the optimizer   amber: managed reference kernel")}];\n");
        sb.Append("  node [shape=box, style=\"rounded,filled\", fontname=\"DejaVu Sans\", fontsize=10, fillcolor=\"" + PlainFill + "\"];\n");
        sb.Append("  edge [color=\"#6B7280\", arrowsize=0.6];\n");
        var producer = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Step s in steps)
        {
            string id = $"n{s.Index}";
            foreach (string o in s.Node.Outputs.Where(o => o.Length > 0))
                producer[o] = id;
            bool fused = s.Node.Domain == FusedOps.Domain;
            string fill = fused ? FusedFill : s.Native ? PlainFill : ReferenceFill;
            string op = fused ? $"{s.Node.OpType} ({Fused(s.Node)})" : s.Node.Domain.Length == 0 ? s.Node.OpType : $"{s.Node.Domain}.{s.Node.OpType}";
            sb.Append(CultureInfo.InvariantCulture,
                $"  {id} [label=<<b>{Html(op)}</b><br/><font color=\"#4B5563\">{Html(s.Kernel)}</font><br/>{Html(s.Shape)}>, fillcolor=\"{fill}\"{(fused ? ", penwidth=1.5" : "")}];\n");
        }
        var graphInputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in graphInputs)
            sb.Append(CultureInfo.InvariantCulture, $"  {Quote("in:" + name)} [label={Quote($"{name}\n{shapeOf(name)}")}, shape=ellipse, fillcolor=\"{IoFill}\"];\n");
        foreach (ValueInfo o in graph.Outputs)
            sb.Append(CultureInfo.InvariantCulture, $"  {Quote("out:" + o.Name)} [label={Quote($"{o.Name}\n{shapeOf(o.Name)}")}, shape=ellipse, fillcolor=\"{IoFill}\"];\n");
        foreach (Step s in steps)
            foreach (string input in s.Node.Inputs.Where(i => i.Length > 0).Distinct())
            {
                if (producer.TryGetValue(input, out string? from))
                    sb.Append(CultureInfo.InvariantCulture, $"  {from} -> n{s.Index};\n");
                else if (graphInputs.Contains(input))
                    sb.Append(CultureInfo.InvariantCulture, $"  {Quote("in:" + input)} -> n{s.Index};\n");
            }
        foreach (ValueInfo o in graph.Outputs)
            if (producer.TryGetValue(o.Name, out string? from))
                sb.Append(CultureInfo.InvariantCulture, $"  {from} -> {Quote("out:" + o.Name)};\n");
            else if (graphInputs.Contains(o.Name))
                sb.Append(CultureInfo.InvariantCulture, $"  {Quote("in:" + o.Name)} -> {Quote("out:" + o.Name)};\n");
        return sb.Append("}\n").ToString();
    }

    /// <summary>The ONNX operators a fused node stands for, in order: Conv+Add+Relu, MatMul+Add, Gemm+Sigmoid.</summary>
    internal static string Fused(Node n)
    {
        var parts = new List<string>();
        switch (n.OpType)
        {
            case "FusedConv":
                parts.Add("Conv");
                if (n.Inputs.Count > 3 && n.Inputs[3].Length > 0)
                    parts.Add("Add");
                break;
            case "FusedMatMul":
                parts.AddRange(["MatMul", "Add"]);
                break;
            case "FusedGemm":
                parts.Add("Gemm");
                break;
            default:
                parts.Add(n.OpType);
                break;
        }
        string activation = n.GetString("activation", "None");
        if (activation != "None")
            parts.Add(activation);
        return string.Join("+", parts);
    }

    /// <summary>Text inside a DOT HTML-like label.</summary>
    private static string Html(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>A DOT string literal; "\n" in <paramref name="s"/> becomes a centered line break.</summary>
    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
}
