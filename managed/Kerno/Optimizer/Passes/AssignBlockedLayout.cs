using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Layout assignment: keeps 4-D float tensors in NCHWc (see <see cref="BlockedOps"/>) between the kernels that run
/// blocked, so libkerno's blocked convolutions stop reordering NCHW &lt;-&gt; NCHWc around every layer. Runs last, on
/// the native backend only (the block is the native kernel set's, <see cref="OptimizerContext.NchwcBlock"/>).
/// <list type="bullet">
/// <item>Convolutions go blocked (kerno.BlockedConv) when they are 2-D, float, with constant weights, more than 4 input
/// channels (first layers stay on libkerno's few-channel NCHW kernel) and groups 1, depthwise, or C/group and K/group
/// multiples of the block. They start blocked regions whatever their input's layout.</item>
/// <item>MaxPool / AveragePool / global pools, inference BatchNormalization and Dropout, element-wise ops whose
/// tensor operands are blocked values of the same shape (or scalar constants), and Concat on axis 1 of blocked inputs
/// whose C are multiples of the block go blocked when their inputs are: a region therefore always contains a convolution. A region (nodes linked by the
/// values they share, blocked or NCHW) with a single convolution stays NCHW: that conv's NCHW plan reorders inside
/// at no more cost, or not at all (1x1 GEMM, depthwise on small maps), so explicit reorders would only add work.</item>
/// <item>Reorders only at the boundaries: one kerno.ReorderToBlocked per NCHW value a blocked node reads, one
/// kerno.ReorderFromBlocked per blocked value that an NCHW node, a subgraph or a graph output reads (the original
/// name then still holds the NCHW tensor). A blocked [N, C, 1, 1] value with C a multiple of the block is already
/// NCHW and keeps its name.</item>
/// </list>
/// </summary>
public sealed class AssignBlockedLayout : IGraphPass
{
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal)
        { "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Neg", "Abs" };

    private static readonly HashSet<string> Binary = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Max", "Min", "Sum" };

    private readonly int? block;

    /// <summary>With <paramref name="block"/> null the pass uses the context's block (none on the reference backend);
    /// a block given here applies on any backend (the blocked ops have reference implementations; tests use it).</summary>
    public AssignBlockedLayout(int? block = null) => this.block = block;

    /// <inheritdoc/>
    public string Name => "AssignBlockedLayout";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        int b = block ?? context.NchwcBlock;
        if (b <= 1 || graph.Nodes.Any(BlockedOps.Is))
            return false; // no blocked kernels, or already assigned
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        var rewritten = new Dictionary<Node, Node>();
        var read = GraphEdits.PinnedNames(graph);
        foreach (Node n in graph.Nodes)
            read.UnionWith(n.Inputs);
        foreach (Node n in TopologicalSort.Sort(graph.Nodes))
            if (Blocked(graph, n, b, blocked, read, context.Opset("")) is { } made)
            {
                rewritten[n] = made;
                blocked.Add(n.Outputs[0]);
            }
        DropLoneConvs(graph, rewritten, blocked);
        if (rewritten.Count == 0)
            return false;
        Rewrite(graph, rewritten, blocked, b);
        return true;
    }

    /// <summary>Undoes regions with fewer than two convolutions (a region: blocked nodes connected through the values they
    /// read or write, NCHW inputs included, since a shared input is reordered once for all its blocked readers).</summary>
    private static void DropLoneConvs(ComputeGraph graph, Dictionary<Node, Node> rewritten, HashSet<string> blocked)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        string Find(string x)
        {
            while (parent.TryGetValue(x, out string? p) && p != x)
                x = parent[x] = parent.GetValueOrDefault(p, p);
            return x;
        }
        void Union(string a, string b)
        {
            parent.TryAdd(a, a);
            parent.TryAdd(b, b);
            string ra = Find(a), rb = Find(b);
            if (ra != rb)
                parent[ra] = rb;
        }
        foreach ((Node n, Node _) in rewritten)
            foreach (string v in n.Inputs.Append(n.Outputs[0]))
                if (v.Length > 0 && GraphEdits.Constant(graph, v) is null)
                    Union(n.Outputs[0], v);
        var convs = rewritten.Values.Where(m => m.OpType == BlockedOps.Conv).GroupBy(m => Find(m.Outputs[0])).ToDictionary(g => g.Key, g => g.Count());
        foreach (Node n in rewritten.Keys.ToList())
            if (convs.GetValueOrDefault(Find(n.Outputs[0])) < 2)
            {
                rewritten.Remove(n);
                blocked.Remove(n.Outputs[0]);
            }
    }

    /// <summary>The blocked node <paramref name="n"/> becomes (inputs and outputs still the NCHW names), or null when it stays NCHW.</summary>
    private static Node? Blocked(ComputeGraph graph, Node n, int b, HashSet<string> blocked, HashSet<string> read, long opset)
    {
        if (n.Outputs.Count == 0 || n.Inputs.Count == 0 || Channels(graph, n.Outputs[0]) is null)
            return null;
        string op = n.Domain.Length == 0 ? n.OpType : n.Domain == FusedOps.Domain ? "kerno." + n.OpType : "";
        Node With(string opType, string domain, IEnumerable<AttributeValue> attributes, IEnumerable<string>? outputs = null) =>
            new(n.Name, opType, domain, n.Inputs, outputs ?? n.Outputs, attributes) { Index = n.Index, DocString = n.DocString };
        switch (op)
        {
            case "Conv" or "kerno.FusedConv" when n.Outputs.Count == 1 && ConvGoesBlocked(graph, n, b):
                return With(BlockedOps.Conv, FusedOps.Domain, n.Attributes.Values.Append(BlockedOps.Int("block", b)));
            case "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" when blocked.Contains(n.Inputs[0])
                && n.Outputs.Skip(1).All(o => o.Length == 0) && (n.OpType.StartsWith("Global", StringComparison.Ordinal) || n.GetInts("kernel_shape") is { Length: 2 }):
                return With(BlockedOps.PoolOp(n.OpType)!, FusedOps.Domain, n.Attributes.Values.Append(BlockedOps.Int("block", b)), [n.Outputs[0]]);
            case "BatchNormalization" when opset >= 9 && blocked.Contains(n.Inputs[0]) && n.Inputs.Count == 5 && n.GetInt("training_mode", 0) == 0
                && n.Outputs.Skip(1).All(o => o.Length == 0 || !read.Contains(o))
                && n.Inputs.Skip(1).All(i => GraphEdits.Constant(graph, i) is Tensor<float> { Rank: 1 } p && p.Length == Channels(graph, n.Inputs[0])):
                return With(BlockedOps.BatchNorm, FusedOps.Domain, n.Attributes.Values.Append(BlockedOps.Int("block", b)), [n.Outputs[0]]);
            case "Dropout" when opset >= 7 && blocked.Contains(n.Inputs[0]) && n.Outputs.Skip(1).All(o => o.Length == 0 || !read.Contains(o))
                && (n.Inputs.Count < 2 || n.Inputs[1].Length == 0 || GraphEdits.Constant(graph, n.Inputs[1]) is not null)
                && (n.Inputs.Count < 3 || n.Inputs[2].Length == 0 || GraphEdits.Constant(graph, n.Inputs[2]) is Tensor<bool> { Length: 1 } mode && !mode[0]):
                // an identity at inference (before opset 7 it trains unless is_test); its unread mask is dropped
                return With("Dropout", "", n.Attributes.Values, [n.Outputs[0]]);
            case var u when Unary.Contains(u) && n.Outputs.Count == 1 && blocked.Contains(n.Inputs[0])
                && n.Inputs.Skip(1).All(i => i.Length == 0 || GraphEdits.Constant(graph, i) is { Length: 1 }):
                return n;
            case var bin when Binary.Contains(bin) && n.Outputs.Count == 1 && n.Inputs.Count == 2 && n.Inputs.Any(blocked.Contains)
                && n.Inputs.All(i => blocked.Contains(i) ? SameShape(graph, i, n.Outputs[0]) : GraphEdits.Constant(graph, i) is { Length: 1, Rank: <= 4 }):
                return n;
            case "Concat" when n.Outputs.Count == 1 && n.GetInt("axis", 0) is 1 or -3 && n.Inputs.All(blocked.Contains)
                && n.Inputs.All(i => Channels(graph, i) is long c && c % b == 0):
                return n;
            default:
                return null;
        }
    }

    /// <summary>2-D float conv with constant weights (and bias), more than 4 input channels, a group structure the
    /// blocked kernels take, and a residual (if any) of the output's shape.</summary>
    private static bool ConvGoesBlocked(ComputeGraph graph, Node n, int b)
    {
        if (n.Inputs.Count < 2 || GraphEdits.Constant(graph, n.Inputs[1]) is not Tensor<float> { Rank: 4 } w)
            return false;
        if (n.Inputs.Count > 2 && n.Inputs[2].Length > 0 && GraphEdits.Constant(graph, n.Inputs[2]) is not Tensor<float> { Rank: 1 })
            return false;
        if (Channels(graph, n.Inputs[0]) is not long c || c <= 4 || Channels(graph, n.Outputs[0]) is not long k || k != w.Shape[0])
            return false;
        long g = n.GetInt("group", 1);
        if (g < 1 || c != w.Shape[1] * g || k % g != 0 || n.GetInts("kernel_shape") is { Length: not 2 })
            return false;
        bool groupsFit = g == 1 || (g == c && k == c) || ((c / g) % b == 0 && (k / g) % b == 0);
        bool residualFits = n.Inputs.Count < 4 || n.Inputs[3].Length == 0 || SameShape(graph, n.Inputs[3], n.Outputs[0]);
        return groupsFit && residualFits && n.Inputs.Count <= 4;
    }

    /// <summary>The known channel count of a rank-4 float value, or null.</summary>
    private static long? Channels(ComputeGraph graph, string name) =>
        graph.ValueTypes.GetValueOrDefault(name) is TensorTypeInfo { ElementType: DataType.Float, Shape: { Count: 4 } s } ? s[1].Value : null;

    private static bool SameShape(ComputeGraph graph, string a, string b) =>
        graph.ValueTypes.GetValueOrDefault(a) is TensorTypeInfo { IsFullyKnown: true, ElementType: DataType.Float } ta
        && graph.ValueTypes.GetValueOrDefault(b) is TensorTypeInfo { IsFullyKnown: true } tb && ta.Shape!.SequenceEqual(tb.Shape!);

    /// <summary>Replaces the nodes by their blocked forms reading and writing blocked names, with the reorders at the boundaries.</summary>
    private static void Rewrite(ComputeGraph graph, Dictionary<Node, Node> rewritten, HashSet<string> blocked, int b)
    {
        // Blocked names: fresh, except a [N, C, 1, 1] value with C a multiple of b, whose bytes are the NCHW ones.
        var blockedName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string v in blocked)
        {
            var type = (TensorTypeInfo)graph.ValueTypes[v];
            bool sameBytes = type.Shape![1].Value % b == 0 && type.Shape[2].Value == 1 && type.Shape[3].Value == 1;
            blockedName[v] = sameBytes ? v : Fresh(graph, $"{v}_nchwc{b}");
            graph.ValueTypes[blockedName[v]] = BlockedOps.BlockedType(type, b);
        }
        var toBlocked = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodes = new List<Node>(graph.Nodes.Count + 8);
        foreach (Node n in graph.Nodes)
        {
            if (!rewritten.TryGetValue(n, out Node? made))
            {
                nodes.Add(n);
                continue;
            }
            for (int i = 0; i < made.Inputs.Count; ++i)
            {
                string x = made.Inputs[i];
                if (blockedName.TryGetValue(x, out string? bx))
                    made.Inputs[i] = bx;
                else if (x.Length > 0 && GraphEdits.Constant(graph, x) is null)
                    made.Inputs[i] = ToBlocked(graph, x, b, toBlocked, nodes, made.Index); // an NCHW activation (conv input or residual)
            }
            made.Outputs[0] = blockedName[n.Outputs[0]];
            nodes.Add(made);
        }
        // Every blocked value read outside the regions (NCHW nodes, subgraphs, graph outputs) gets its NCHW name back.
        var pinned = GraphEdits.PinnedNames(graph);
        var readers = nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
        foreach (string v in blocked)
        {
            string bv = blockedName[v];
            if (bv == v || !(readers.Contains(v) || pinned.Contains(v)))
                continue;
            int at = nodes.FindIndex(n => n.Outputs.Contains(bv));
            long channels = ((TensorTypeInfo)graph.ValueTypes[v]).Shape![1].Value!.Value;
            nodes.Insert(at + 1, new Node($"{v}_from_nchwc", BlockedOps.FromBlocked, FusedOps.Domain, [bv], [v],
                [BlockedOps.Int("block", b), BlockedOps.Int("channels", channels)]) { Index = nodes[at].Index });
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
    }

    /// <summary>The blocked copy of NCHW value <paramref name="x"/>, made once, before its first blocked reader.</summary>
    private static string ToBlocked(ComputeGraph graph, string x, int b, Dictionary<string, string> made, List<Node> nodes, int index)
    {
        if (made.TryGetValue(x, out string? name))
            return name;
        if (graph.ValueTypes.GetValueOrDefault(x) is not TensorTypeInfo type)
            throw new InvalidOperationException($"{x} has no type");
        name = Fresh(graph, $"{x}_to_nchwc{b}");
        graph.ValueTypes[name] = BlockedOps.BlockedType(type, b);
        nodes.Add(new Node($"{x}_to_nchwc", BlockedOps.ToBlocked, FusedOps.Domain, [x], [name], [BlockedOps.Int("block", b)]) { Index = index });
        made[x] = name;
        return name;
    }

    /// <summary>A name no node, input, initializer or typed value uses (names made earlier in this pass are typed at once).</summary>
    private static string Fresh(ComputeGraph graph, string stem)
    {
        string name = GraphEdits.FreshName(graph, stem);
        for (int i = 1; graph.ValueTypes.ContainsKey(name); ++i)
            name = GraphEdits.FreshName(graph, $"{stem}_{i}");
        return name;
    }
}
