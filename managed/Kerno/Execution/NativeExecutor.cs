using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Kerno.Graph;
using Kerno.Planning;

namespace Kerno.Execution;

/// <summary>
/// The native backend: the optimized main graph compiled once (kernel per node, weights packed), then run with
/// a static memory plan. Plans are per input-shape signature: the one from inferred shapes is made at session
/// creation; a run with other input shapes runs once without an arena while recording every shape, and its plan
/// is cached for the next run with the same shapes (at most <see cref="MaxPlans"/>; past that, runs with new
/// shapes stay dynamic). Concurrent runs each rent their own arena from the plan; the session's thread pool runs
/// one parallel kernel at a time (a run that finds it busy runs its kernel on its own thread).
/// </summary>
internal sealed class NativeExecutor : IDisposable
{
    public const int MaxPlans = 16;

    /// <summary>Fully-connected weights made at creation from this size on are packed before any other step (see Compile).</summary>
    private const long EarlyPackBytes = 64L << 20;

    /// <summary>Released original weights that make a collection worth its cost at session creation.</summary>
    private const long ReleaseCollectBytes = 64L << 20;

    private readonly CompiledGraph compiled;
    private readonly KernoThreadPool pool;
    private readonly ExecutionPlan dynamicPlan;
    private readonly ExecutionPlan? staticPlan;
    private readonly ConcurrentDictionary<string, ExecutionPlan> byShape = new(StringComparer.Ordinal);
    private readonly object planLock = new();
    private bool disposed;

    private readonly long maxTensorElements;

    /// <summary>Compiles <paramref name="model"/> (the optimized copy) for <paramref name="threads"/> threads.</summary>
    /// <param name="model">The graph to run.</param>
    /// <param name="reference">Its reference executor: plans (order, kernels) and subgraph runs.</param>
    /// <param name="threads">Threads of the session's pool, the caller included.</param>
    /// <param name="dropConsumedInitializers">Remove initializers only packed kernels read (the model is the session's own copy).</param>
    /// <param name="maxTensorElements">Cap on every tensor a reference step creates (0 = none), as for the reference backend.</param>
    /// <param name="tuning">Tuned kernel choices from the tuning cache, if any.</param>
    /// <param name="warnings">Receives a note for each tuned choice that no longer applies.</param>
    /// <param name="keepOriginalWeights">Keep packed steps' original weights even when every run is proven to use the packed path (kerno tune).</param>
    public NativeExecutor(Model model, ReferenceExecutor reference, int threads, bool dropConsumedInitializers, long maxTensorElements = 0,
        Tuning.TuningChoices? tuning = null, List<string>? warnings = null, bool keepOriginalWeights = false)
    {
        this.maxTensorElements = maxTensorElements;
        Reference = reference;
        Model = model;
        using CreationTimings.Scope total = CreationTimings.Measure("native");
        using (CreationTimings.Measure("native: thread pool"))
            pool = new KernoThreadPool(threads);
        try
        {
            compiled = Compile(model, reference, dropConsumedInitializers, threads, tuning, keepOriginalWeights);
            dynamicPlan = new ExecutionPlan(compiled, new int[]?[compiled.ValueNames.Length],
                MemoryPlan.Empty(compiled.ValueNames.Length, compiled.Steps.Length), "");
            int[]?[] shapes = InferredShapes(model.Graph);
            if (compiled.InputIds.All(i => shapes[i] is not null))
            {
                using CreationTimings.Scope planning = CreationTimings.Measure("native: memory plan");
                staticPlan = BuildPlan(shapes);
                byShape[staticPlan.Signature] = staticPlan;
            }
            if (tuning is not null)
                CheckTuning(tuning, shapes, warnings);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    public Model Model { get; }

    /// <summary>Runs subgraphs (If/Loop/Scan bodies) of reference steps.</summary>
    public ReferenceExecutor Reference { get; }

    public CompiledGraph Compiled => compiled;

    /// <summary>The plan made from inferred shapes at session creation, if every input shape was known.</summary>
    public ExecutionPlan? StaticPlan => staticPlan;

    public int Threads => pool.Threads;

    /// <summary>Notes every tuned choice the session could not apply (node gone, other geometry, algorithm not accepted).</summary>
    private void CheckTuning(Tuning.TuningChoices tuning, int[]?[] shapes, List<string>? warnings)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        foreach (NativeConvStep step in compiled.Steps.OfType<NativeConvStep>())
            if (shapes[step.Inputs[0]] is { } x && step.IsTuned(x))
                applied.Add(Tuning.TuningChoices.NodeKey(step.Node, step.Index));
        foreach ((string node, Tuning.TunedConv t) in tuning.ByNode)
            if (!applied.Contains(node))
                warnings?.Add($"tuned choice {t.Algorithm} for node '{node}' does not apply to this model (node, geometry or accepted algorithms differ); the cost model's choice is used");
    }

    private static CompiledGraph Compile(Model model, ReferenceExecutor reference, bool dropConsumed, int threads, Tuning.TuningChoices? tuning,
        bool keepOriginals)
    {
        ComputeGraph graph = model.Graph;
        GraphPlan main = reference.Plans[graph];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        int Id(string name)
        {
            if (name.Length == 0)
                return -1;
            if (!ids.TryGetValue(name, out int id))
            {
                id = names.Count;
                ids[name] = id;
                names.Add(name);
            }
            return id;
        }
        foreach (ValueInfo i in graph.Inputs)
            Id(i.Name);
        var stepList = new List<KernelStep>(main.Steps.Count);
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var inputNames = graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);

        // Weights not held twice: when every run has the inferred shapes (each graph input fully fixed, which input
        // validation enforces), a packed step that handles those shapes natively never falls back to its reference
        // kernel, so it gives up the originals, and an initializer only it reads is dropped right after packing
        // (keeping peak memory near packed + one weight, not packed + all originals).
        bool staticRuns = dropConsumed && !keepOriginals && graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name))
            .All(i => graph.ValueTypes.GetValueOrDefault(i.Name) is TensorTypeInfo { IsFullyKnown: true });
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
            foreach (string i in GraphScopes.AllInputs(n).Distinct())
                readers[i] = readers.GetValueOrDefault(i) + 1;
        int[]? StaticShape(string name) =>
            graph.Initializers.TryGetValue(name, out Tensor? c) ? c.Shape.ToArray()
            : graph.ValueTypes.GetValueOrDefault(name) is TensorTypeInfo { IsFullyKnown: true } t && t.Shape!.All(d => d.Value is >= 0 and <= int.MaxValue)
                ? t.Shape!.Select(d => (int)d.Value!.Value).ToArray() : null;
        var releasedReads = new Dictionary<KernelStep, HashSet<int>>();
        var early = new Dictionary<Node, KernelStep>(ReferenceEqualityComparer.Instance);
        long releasedBytes = 0;
        try
        {
            // Nodes on constants only run once, here (the optimizer's folding stops at a size; weights made by
            // ConstantOfShape and the like are worth computing once at any size). Only on the session's own copy.
            // They are evaluated just before their first reader is compiled, not in graph order (where exporters
            // often put every weight first), so each weight can be packed and released before the next one exists.
            var pending = new Dictionary<string, PlanStep>(StringComparer.Ordinal);
            bool IsConstant(string name) => graph.Initializers.ContainsKey(name) || pending.ContainsKey(name);
            void Materialize(string name)
            {
                if (!pending.Remove(name, out PlanStep? ps))
                    return;
                foreach (string o in ps.Node.Outputs)
                    pending.Remove(o);
                foreach (string i in ps.Node.Inputs)
                    Materialize(i);
                if (!FoldAtCreation(ps, graph, inputNames, graphOutputs))
                    AddStep(ps); // the run reports its error; it still precedes its readers
            }
            void AddStep(PlanStep ps)
            {
                KernelStep step = early.Remove(ps.Node, out KernelStep? made) ? made : Prepare(ps, tuning?.For(ps.Node, stepList.Count));
                step.Index = stepList.Count;
                stepList.Add(step);
            }
            // Selects (and packs) the step for a node; the caller gives it its place in the step list.
            KernelStep Prepare(PlanStep ps, Tuning.TunedConv? tuned)
            {
                foreach (string i in GraphScopes.AllInputs(ps.Node))
                    Materialize(i);
                KernelStep step;
                using (CreationTimings.Measure("native: select+pack " + ps.Node.OpType))
                    step = KernelSelector.Select(ps.Node, ps.Opset, ps.Kernel, graph, threads, tuned);
                step.Inputs = ps.Node.Inputs.Select(Id).ToArray();
                step.Outputs = ps.Node.Outputs.Select(Id).ToArray();
                step.Reads = GraphScopes.AllInputs(ps.Node).Select(Id).Distinct().ToArray();
                if (staticRuns && step.ConsumedConstants.Any() && step.ReleaseOriginals(v => v >= 0 ? StaticShape(names[v]) : null))
                {
                    var gone = new HashSet<int>();
                    foreach (int p in step.ConsumedConstants)
                    {
                        if (p >= ps.Node.Inputs.Count || ps.Node.Inputs[p].Length == 0)
                            continue;
                        string name = ps.Node.Inputs[p];
                        gone.Add(Id(name));
                        if (readers.GetValueOrDefault(name) == 1 && !graphOutputs.Contains(name) && !inputNames.Contains(name)
                            && graph.Initializers.Remove(name, out Tensor? dropped))
                            releasedBytes += dropped.Length * 4L; // float weights
                    }
                    releasedReads[step] = gone;
                    // Freed large-object space is reused, and returned to the OS, only after a collection; without one
                    // every original stays resident until the heap's own budget triggers one, and the peak does not drop
                    // (VGG-19: 1377 -> 1176 MiB with it). An aggressive collection also decommits the freed regions.
                    if (releasedBytes >= ReleaseCollectBytes)
                    {
                        using CreationTimings.Scope collect = CreationTimings.Measure("native: GC after releasing weights");
                        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                        releasedBytes = 0;
                    }
                }
                return step;
            }
            var folded = new HashSet<PlanStep>();
            foreach (PlanStep ps in main.Steps)
                if (dropConsumed && CanFold(ps, graph, inputNames, graphOutputs, IsConstant))
                {
                    folded.Add(ps);
                    foreach (string o in ps.Node.Outputs)
                        if (o.Length > 0)
                            pending[o] = ps;
                }
            // Packing a weight needs its original and its packed copy at once: the largest fully-connected weights made at
            // creation are packed first, while little else is resident (VGG-19's fc6: 392 MB each, next to 250 MB of
            // Winograd-transformed convolution weights had it come in graph order). Their steps take their place below.
            if (staticRuns)
                foreach (PlanStep ps in main.Steps.Where(p => !folded.Contains(p)).Select(p => (p, Bytes: DeferredWeightBytes(p)))
                    .Where(x => x.Bytes >= EarlyPackBytes).OrderByDescending(x => x.Bytes).Select(x => x.p))
                    early[ps.Node] = Prepare(ps, null);
            long DeferredWeightBytes(PlanStep ps) =>
                ps.Node.OpType is "Gemm" or "MatMul" or "FusedGemm" or "FusedMatMul" && ps.Node.Inputs.Count > 1
                && pending.ContainsKey(ps.Node.Inputs[1]) && StaticShape(ps.Node.Inputs[1]) is { } w ? 4L * Tensor.ElementCount(w) : 0;
            foreach (PlanStep ps in main.Steps)
                if (!folded.Contains(ps))
                    AddStep(ps);
            // Constants nothing reads are made too, as before (cheap; keeps initializers the graph names).
            while (pending.Count > 0)
                Materialize(pending.Keys.First());
        }
        catch
        {
            foreach (KernelStep k in stepList.Concat(early.Values))
                (k as IDisposable)?.Dispose();
            throw;
        }
        KernelStep[] steps = stepList.ToArray();
        foreach (ValueInfo o in graph.Outputs)
            Id(o.Name);
        int[] inputIds = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).Select(i => ids[i.Name]).ToArray();
        int[] outputIds = graph.Outputs.Select(o => ids[o.Name]).ToArray();

        // Initializers read by any step or an output are loaded into each run's slots, including weights a step
        // packed, unless it released them above: a packed step falls back to its reference kernel for shapes or
        // geometry its native kernel refuses, and that kernel needs the original tensor.
        var needed = new HashSet<int>();
        foreach (KernelStep step in steps)
            needed.UnionWith(releasedReads.TryGetValue(step, out HashSet<int>? gone) ? step.Reads.Where(r => !gone.Contains(r)) : step.Reads);
        needed.UnionWith(outputIds);
        var constants = new Value?[names.Count];
        foreach ((string name, Tensor value) in graph.Initializers.ToList())
        {
            if (!ids.TryGetValue(name, out int id) || !needed.Contains(id))
            {
                if (dropConsumed && !graph.Inputs.Any(i => i.Name == name))
                    graph.Initializers.Remove(name);
                continue;
            }
            constants[id] = value;
        }

        // Last readers: values die after them (constants and graph outputs never).
        var last = new int[names.Count];
        Array.Fill(last, -1);
        for (int s = 0; s < steps.Length; ++s)
        {
            foreach (int v in steps[s].Outputs.Where(v => v >= 0))
                last[v] = s;
            foreach (int v in steps[s].Reads.Where(v => v >= 0))
                last[v] = s;
        }
        var release = new List<int>[steps.Length];
        for (int s = 0; s < steps.Length; ++s)
            release[s] = new List<int>();
        var keep = outputIds.ToHashSet();
        for (int v = 0; v < names.Count; ++v)
            if (last[v] >= 0 && constants[v] is null && !keep.Contains(v))
                release[last[v]].Add(v);
        return new CompiledGraph
        {
            Graph = graph,
            Steps = steps,
            ValueNames = names.ToArray(),
            ValueIds = ids,
            Constants = constants,
            InputIds = inputIds,
            OutputIds = outputIds,
            Release = release.Select(r => r.ToArray()).ToArray(),
            PackedBytes = steps.Sum(s => s.PackedBytes),
        };
    }

    private static readonly HashSet<string> NonDeterministic = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
    };

    /// <summary>True when a node's inputs are all constants (<paramref name="isConstant"/>) and it may be evaluated once.</summary>
    private static bool CanFold(PlanStep ps, ComputeGraph graph, HashSet<string> inputNames, HashSet<string> graphOutputs, Func<string, bool> isConstant)
    {
        Node node = ps.Node;
        return !NonDeterministic.Contains(node.OpType) && !GraphScopes.Subgraphs(node).Any()
            && !node.Outputs.Any(o => graphOutputs.Contains(o) || graph.Initializers.ContainsKey(o))
            && !node.Inputs.Any(i => i.Length > 0 && (!isConstant(i) || inputNames.Contains(i)));
    }

    /// <summary>Evaluates a node whose inputs are all constants and makes its outputs initializers; false when it cannot.</summary>
    private static bool FoldAtCreation(PlanStep ps, ComputeGraph graph, HashSet<string> inputNames, HashSet<string> graphOutputs)
    {
        Node node = ps.Node;
        if (!CanFold(ps, graph, inputNames, graphOutputs, graph.Initializers.ContainsKey))
            return false;
        Value?[] outputs;
        using CreationTimings.Scope fold = CreationTimings.Measure("native: fold " + node.OpType);
        try
        {
            outputs = ps.Kernel(new Reference.OpContext(node, ps.Opset, node.Inputs.Select(i => i.Length == 0 ? null : (Value)graph.Initializers[i]).ToList()));
        }
        catch (Exception e) when (e is KernoModelException or ArgumentException or InvalidOperationException or NotSupportedException or OverflowException or IndexOutOfRangeException)
        {
            return false; // the run reports it
        }
        if (outputs.Length < node.Outputs.Count || outputs.Take(node.Outputs.Count).Any(o => o is not (null or Tensor)))
            return false;
        for (int i = 0; i < node.Outputs.Count; ++i)
            if (node.Outputs[i].Length > 0 && outputs[i] is Tensor t)
                graph.Initializers[node.Outputs[i]] = t;
        return true;
    }

    private int[]?[] InferredShapes(ComputeGraph graph)
    {
        var shapes = new int[]?[compiled.ValueNames.Length];
        for (int v = 0; v < shapes.Length; ++v)
        {
            string name = compiled.ValueNames[v];
            if (compiled.Constants[v] is Tensor c)
                shapes[v] = c.Shape.ToArray();
            else if (graph.ValueTypes.GetValueOrDefault(name) is TensorTypeInfo { IsFullyKnown: true } t
                && t.Shape!.All(d => d.Value is >= 0 and <= int.MaxValue))
                shapes[v] = t.Shape!.Select(d => (int)d.Value!.Value).ToArray();
        }
        return shapes;
    }

    /// <summary>Plans memory for one set of shapes (per value id; null = unknown).</summary>
    private ExecutionPlan BuildPlan(int[]?[] shapes)
    {
        var outputs = compiled.OutputIds.ToHashSet();
        var steps = new List<PlannerStep>(compiled.Steps.Length);
        foreach (KernelStep step in compiled.Steps)
        {
            var bytes = new long[step.Outputs.Length];
            var alias = new int[step.Outputs.Length];
            for (int j = 0; j < step.Outputs.Length; ++j)
            {
                int v = step.Outputs[j];
                bytes[j] = -1;
                int view = step.ViewOf(j);
                alias[j] = view >= 0 && view < step.Inputs.Length ? step.Inputs[view] : -1;
                // A view shares its source's memory only when it holds as many elements: shapes that disagree (an
                // invalid Reshape, or declared shapes that contradict each other) would place the view past its
                // source's slot (a fuzz finding overran the arena); the step reports the mismatch when it runs.
                if (v >= 0 && alias[j] >= 0 && shapes[v] is { } viewShape && shapes[alias[j]] is { } sourceShape
                    && Tensor.ElementCount(viewShape) != Tensor.ElementCount(sourceShape))
                    alias[j] = -1;
                if (v >= 0 && step.ArenaOutput(j) && !outputs.Contains(v) && shapes[v] is { } s)
                    bytes[j] = 4L * Tensor.ElementCount(s);
            }
            int inPlace = step.InPlaceInput >= 0 && step.InPlaceInput < step.Inputs.Length ? step.Inputs[step.InPlaceInput] : -1;
            (int, long)[]? slices = null;
            if (step.InputPiecesOfOutput(v => v >= 0 ? shapes[v] : null) is { } pieces)
                slices = pieces.Select((offset, k) => (Value: step.Inputs[k], Offset: offset)).Where(p => p.Offset >= 0 && p.Value >= 0).ToArray();
            steps.Add(new PlannerStep(step.Reads, step.Outputs, bytes, alias, inPlace, step.WorkspaceBytes(v => v >= 0 ? shapes[v] : null), slices));
        }
        MemoryPlan memory = MemoryPlanner.Plan(compiled.ValueNames.Length, steps, compiled.OutputIds);
        return new ExecutionPlan(compiled, shapes, memory, Signature(compiled.InputIds.Select(i => shapes[i]!)));
    }

    private static string Signature(IEnumerable<int[]> shapes)
    {
        var sb = new StringBuilder();
        foreach (int[] s in shapes)
            sb.Append(Tensor.FormatShape(s)).Append(';');
        return sb.ToString();
    }

    /// <summary>The plan for these inputs, and whether the run should record shapes to make one.</summary>
    private ExecutionPlan Choose(IReadOnlyDictionary<string, Value> inputs, out bool record)
    {
        record = false;
        if (staticPlan is not null && Matches(staticPlan, inputs))
            return staticPlan;
        var shapes = new List<int[]>();
        foreach (int id in compiled.InputIds)
        {
            if (Feed(inputs, id) is not Tensor t)
                return dynamicPlan;
            shapes.Add(t.Shape.ToArray());
        }
        if (byShape.TryGetValue(Signature(shapes), out ExecutionPlan? plan))
            return plan;
        record = byShape.Count < MaxPlans;
        return dynamicPlan;
    }

    private bool Matches(ExecutionPlan plan, IReadOnlyDictionary<string, Value> inputs)
    {
        foreach (int id in compiled.InputIds)
            if (Feed(inputs, id) is not Tensor t || !t.Shape.SequenceEqual(plan.Shapes[id]))
                return false;
        return true;
    }

    /// <summary>The value fed for graph input <paramref name="id"/>, or null.</summary>
    private Value? Feed(IReadOnlyDictionary<string, Value> inputs, int id) =>
        inputs.TryGetValue(compiled.ValueNames[id], out Value? v) ? v : null;

    /// <summary>Runs the graph. <paramref name="outputs"/> (optional, per graph output) are tensors to write the
    /// results into. Returns the graph outputs in declaration order.</summary>
    public Value?[] Run(IReadOnlyDictionary<string, Value> inputs, Tensor?[]? outputs, CancellationToken cancellation, ProfilingCollector? profile)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using RunLimits.Scope limit = RunLimits.Enter(maxTensorElements);
        ExecutionPlan plan = Choose(inputs, out bool record);
        RunContext context = plan.Rent(pool, this);
        var results = new Value?[compiled.OutputIds.Length];
        try
        {
            context.Cancellation = cancellation;
            foreach (int id in compiled.InputIds)
                context.Slots[id] = Feed(inputs, id);
            if (outputs is not null)
                for (int i = 0; i < outputs.Length; ++i)
                    context.Overrides[compiled.OutputIds[i]] = outputs[i];
            int[]?[]? recorded = record ? new int[]?[compiled.ValueNames.Length] : null;
            if (recorded is not null)
                for (int v = 0; v < recorded.Length; ++v)
                    if (context.Slots[v] is Tensor t)
                        recorded[v] = t.Shape.ToArray();
            KernelStep[] steps = compiled.Steps;
            profile?.Begin(plan);
            for (int s = 0; s < steps.Length; ++s)
            {
                cancellation.ThrowIfCancellationRequested();
                long start = profile is null ? 0 : profile.Now();
                steps[s].Execute(context);
                if (profile is not null)
                    profile.Step(steps[s], start, profile.Now(), context);
                if (recorded is not null)
                    foreach (int v in steps[s].Outputs)
                        if (v >= 0 && context.Slots[v] is Tensor t)
                            recorded[v] = t.Shape.ToArray();
                foreach (int v in compiled.Release[s])
                    context.Slots[v] = null;
            }
            for (int i = 0; i < results.Length; ++i)
            {
                Value? v = ArenaMemory.CopyOut(context.Slots[compiled.OutputIds[i]]);
                if (outputs is not null && outputs[i] is { } target && !ReferenceEquals(v, target))
                {
                    CopyInto(compiled.ValueNames[compiled.OutputIds[i]], v, target);
                    v = target;
                }
                results[i] = v;
            }
            if (recorded is not null)
                Remember(recorded);
        }
        finally
        {
            plan.Return(context);
        }
        return results;
    }

    private void Remember(int[]?[] shapes)
    {
        lock (planLock)
        {
            if (disposed || byShape.Count >= MaxPlans)
                return;
            ExecutionPlan plan = BuildPlan(shapes);
            if (!byShape.TryAdd(plan.Signature, plan))
                plan.Dispose();
        }
    }

    /// <summary>Copies a computed output into the caller's tensor (same type and shape).</summary>
    internal static void CopyInto(string name, Value? value, Tensor target)
    {
        if (value is not Tensor t || t.DataType != target.DataType || !t.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"output '{name}' is {Describe(value)}, but the tensor given for it is {Describe(target)}");
        bool copied = Copy<float>(t, target) || Copy<double>(t, target) || Copy<long>(t, target) || Copy<int>(t, target)
            || Copy<bool>(t, target) || Copy<Half>(t, target) || Copy<BFloat16>(t, target) || Copy<byte>(t, target)
            || Copy<sbyte>(t, target) || Copy<short>(t, target) || Copy<ushort>(t, target) || Copy<uint>(t, target)
            || Copy<ulong>(t, target) || Copy<string>(t, target);
        if (!copied)
            throw new ArgumentException($"output '{name}': cannot copy {Describe(value)} into the given tensor");
    }

    private static bool Copy<T>(Tensor from, Tensor to)
    {
        if (from is not Tensor<T> a || to is not Tensor<T> b)
            return false;
        a.Span.CopyTo(b.Span);
        return true;
    }

    private static string Describe(Value? v) => v switch
    {
        Tensor t => $"{DataTypes.OnnxName(t.DataType)}{Tensor.FormatShape(t.Shape)}",
        null => "empty",
        _ => v.GetType().Name,
    };

    /// <summary>The plans made so far (for inspect and tests).</summary>
    public IReadOnlyCollection<ExecutionPlan> Plans => byShape.Values.ToList();

    public void Dispose()
    {
        lock (planLock)
        {
            if (disposed)
                return;
            disposed = true;
        }
        foreach (ExecutionPlan p in byShape.Values)
            p.Dispose();
        dynamicPlan.Dispose();
        foreach (KernelStep s in compiled.Steps)
            (s as IDisposable)?.Dispose();
        pool.Dispose();
    }
}
