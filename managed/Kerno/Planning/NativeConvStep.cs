using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Reference;
using Kerno.Tuning;

namespace Kerno.Planning;

/// <summary>
/// Conv / kerno.FusedConv (2-D, NCHW, float) on libkerno's convolution plans: weights packed (for Winograd:
/// transformed) once per input geometry, bias, residual and activation fused. <c>kerno_conv2d_run</c> is
/// single-threaded, so with several threads the convolution is split into parts along the output channels (or
/// along the groups of a grouped convolution): each part is its own plan over a contiguous slice of the weights,
/// writing a contiguous slice of each image's output, run in parallel on the session's pool with a workspace of its
/// own. The algorithm (Winograd F(2,3)/F(4,3)/F(6,3), im2col, 1x1 GEMM, depthwise, direct) is chosen per input
/// geometry among those libkerno accepts for every part: the tuned one when <c>kerno tune</c> measured this node
/// on this geometry, else the cheapest by <see cref="ConvCostModel"/> summed over the parts.
/// kerno.BlockedConv runs the same way on NCHWc tensors (<c>block</c> &gt; 0: input, residual and output blocked, see
/// <see cref="Optimizer.Passes.BlockedOps"/>): the plans are made with KERNO_LAYOUT_NCHWC, so only the direct,
/// Winograd and depthwise kernels are candidates, and the parts split the channels on block boundaries; or, when
/// libkerno runs the plan by row ranges (direct and depthwise kernels without a workspace), one plan over every
/// channel whose output rows are split across the threads instead.
/// </summary>
internal sealed unsafe class NativeConvStep : KernelStep, IDisposable
{
    /// <summary>Each part keeps at least this many output channels (fewer parts when K is small).</summary>
    private const int MinChannelsPerPart = 16;

    private Tensor<float>? weight;
    private readonly int[] weightShape;
    private readonly float[]? bias;
    private readonly FusedActivation activation;
    private readonly bool residual;
    private readonly int threads;
    private readonly ConcurrentDictionary<(ConvGeometry, Kernels.ConvAlgorithm), Parts> plans = new();
    private readonly ConcurrentDictionary<ConvGeometry, Choice> choices = new();
    private readonly TunedConv? tuned;
    private readonly int block; // NCHWc block of a kerno.BlockedConv, 0 for NCHW
    private volatile int trial = -1;
    private int disposed;

    public NativeConvStep(Node node, long opset, ReferenceKernel reference, Tensor<float> weight, Tensor<float>? bias,
        FusedActivation activation, bool residual, int threads, TunedConv? tuned = null, int block = 0)
        : base(node, opset, reference)
    {
        this.weight = weight;
        weightShape = weight.Shape.ToArray();
        this.bias = bias?.Span.ToArray();
        this.activation = activation;
        this.residual = residual;
        this.threads = threads;
        this.tuned = tuned;
        this.block = block;
    }

    public override string KernelName => "conv-" + (block > 0 ? $"nchwc{block}-" : "") + Algorithms() + (activation.Kind != ActivationKind.None ? "+" + activation.Kind.ToString().ToLowerInvariant() : "");

    public override IEnumerable<int> ConsumedConstants => bias is null ? [1] : [1, 2];

    /// <summary>Whether a plan made so far runs split by output rows (tests).</summary>
    internal bool SplitsRows => plans.Values.Any(p => p.RowChunks > 1);

    public override long PackedBytes => plans.Where(kv => Chosen(kv.Key.Item1) == kv.Key.Item2).Sum(kv => kv.Value.PackedBytes);

    /// <summary>The algorithm runs with input shape <paramref name="x"/> use, or null when libkerno refuses its geometry.</summary>
    public Kernels.ConvAlgorithm? AlgorithmFor(int[] x) => Geometry(x) is { } g && Select(g) is { } c ? Run(c) : null;

    /// <summary>True when the algorithm for <paramref name="x"/>'s geometry comes from the tuning cache.</summary>
    public bool IsTuned(int[] x) => Geometry(x) is { } g && Select(g) is { Tuned: true };

    private string Algorithms()
    {
        var names = choices.Where(kv => kv.Value.Candidates.Length > 0).Select(kv => Run(kv.Value)).Distinct()
            .Select(a => a.ToString().ToLowerInvariant()).ToList();
        return names.Count == 0 ? "native" : string.Join("/", names);
    }

    /// <summary>Blocked: x is [N, Cp, H, W] with Cp the true C (W's dim 1 x group) rounded up to the block.</summary>
    private ConvGeometry? Geometry(int[]? x)
    {
        if (x is null || block == 0)
            return x is null ? null : ConvGeometry.Of(Node, x, weightShape);
        long c = (long)weightShape[1] * Node.GetInt("group", 1);
        if (x.Length != 4 || c > int.MaxValue || x[1] != Optimizer.Passes.BlockedOps.RoundUp(c, block))
            return null;
        return ConvGeometry.Of(Node, [x[0], (int)c, x[2], x[3]], weightShape);
    }

    /// <summary>Channels of a tensor in this step's layout (rounded up to the block when blocked).</summary>
    private int Stored(int channels) => block == 0 ? channels : (int)Optimizer.Passes.BlockedOps.RoundUp(channels, block);

    /// <summary>The geometry of an input of shape <paramref name="x"/>, or null when not a plain 2-D conv.</summary>
    public ConvGeometry? GeometryOf(int[]? x) => Geometry(x);

    /// <summary>The algorithm runs with geometry <paramref name="g"/> use: a trial (tuning) when it is a candidate, else
    /// the tuned one or the cost model's.</summary>
    private Kernels.ConvAlgorithm Chosen(ConvGeometry g) => Select(g) is { } c ? Run(c) : Kernels.ConvAlgorithm.Auto;

    private Kernels.ConvAlgorithm Run(Choice c)
    {
        int t = trial;
        return t >= 0 && c.Candidates.Contains((Kernels.ConvAlgorithm)t) ? (Kernels.ConvAlgorithm)t : c.Algorithm;
    }

    /// <summary>The algorithms libkerno accepts for every part of geometry <paramref name="g"/> (empty when it refuses the geometry).</summary>
    public IReadOnlyList<Kernels.ConvAlgorithm> Candidates(ConvGeometry g) => Select(g)?.Candidates ?? [];

    /// <summary>The choice for a geometry, made once: the tuned algorithm when it is one of the candidates, else the cheapest estimate.</summary>
    private Choice? Select(ConvGeometry g)
    {
        if (choices.TryGetValue(g, out Choice? c))
            return c.Candidates.Length == 0 ? null : c;
        Kernels.ConvAlgorithm[] candidates;
        try
        {
            using (Execution.CreationTimings.Measure("native: conv algorithms accepted"))
                candidates = Parts.Accepted(g, weightShape, activation, threads, block);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or KernoNativeException)
        {
            candidates = [];
        }
        Choice made;
        if (candidates.Length == 0)
            made = new Choice([], Kernels.ConvAlgorithm.Auto, false);
        else if (tuned is not null && tuned.Geometry == g && candidates.Contains(tuned.Algorithm))
            made = new Choice(candidates, tuned.Algorithm, true);
        else
        {
            // Costed as for one thread, so every IntraOpThreads setting picks the same algorithm (and the same bits;
            // docs/SECURITY.md, Determinism); the parts of a split conv only run it on slices of the channels.
            int nchwc = Kernels.NnKernels.NchwcBlock;
            var slices = Parts.Slices(g, 1, block);
            Kernels.ConvAlgorithm best = Kernels.ConvAlgorithm.Auto;
            double bestCost = double.PositiveInfinity;
            foreach (Kernels.ConvAlgorithm a in ConvCostModel.All.Where(candidates.Contains))
            {
                double cost = slices.Sum(s => ConvCostModel.Seconds(a, s.Shape, nchwc, blocked: block > 0));
                if (cost < bestCost)
                    (best, bestCost) = (a, cost);
            }
            made = new Choice(candidates, best, false);
        }
        c = choices.GetOrAdd(g, made);
        return c.Candidates.Length == 0 ? null : c;
    }

    /// <summary>Tuning: runs use <paramref name="algorithm"/> (null: back to the normal choice) for every geometry it
    /// is a candidate of. Not for concurrent runs.</summary>
    internal void SetTrial(Kernels.ConvAlgorithm? algorithm) => trial = algorithm is null ? -1 : (int)algorithm.Value;

    /// <summary>Tuning: makes <paramref name="algorithm"/> the choice for geometry <paramref name="g"/> (one of its candidates).</summary>
    internal void SetTuned(ConvGeometry g, Kernels.ConvAlgorithm algorithm)
    {
        if (Select(g) is not { } c || !c.Candidates.Contains(algorithm))
            throw new ArgumentException($"{algorithm} is not a candidate for this geometry", nameof(algorithm));
        choices[g] = c with { Algorithm = algorithm, Tuned = true };
    }

    /// <summary>Frees the packed weights of algorithms no run uses now (after tuning trials).</summary>
    internal void ReleaseUnusedPlans()
    {
        foreach (var key in plans.Keys.ToList())
            if (key.Item2 != Chosen(key.Item1) && plans.TryRemove(key, out Parts? p))
                p.Dispose();
    }

    public override double Flops(Func<int, int[]?> shapeOf) => Geometry(shapeOf(Inputs[0]))?.Flops ?? 0;

    public override long WorkspaceBytes(Func<int, int[]?> shapeOf) => Geometry(shapeOf(Inputs[0])) is { } g && Get(g) is { } p ? p.WorkspaceBytes : 0;

    /// <summary>False once the original weights were released (no plan for a new geometry or algorithm can be made).</summary>
    public bool HasOriginalWeights => Volatile.Read(ref weight) is not null;

    public override bool ReleaseOriginals(Func<int, int[]?> staticShapeOf)
    {
        if (staticShapeOf(Inputs[0]) is not { } x || Geometry(x) is not { } g || Get(g) is null)
            return false;
        if (residual && (Inputs.Length <= 3 || Inputs[3] < 0 || staticShapeOf(Inputs[3]) is not { } z
            || !z.AsSpan().SequenceEqual([g.N, Stored(g.K), g.OutH, g.OutW])))
            return false;
        Volatile.Write(ref weight, null);
        return true;
    }

    /// <summary>Creates the plans for a geometry at session creation (so packing does not happen in a timed run).</summary>
    public bool Prepare(int[]? x) => Geometry(x) is { } g && Get(g) is not null;

    /// <summary>The parts for a geometry and its chosen algorithm, made and packed on first use; null when libkerno
    /// refuses the geometry (or the weights were released and this geometry was not planned at creation).</summary>
    private Parts? Get(ConvGeometry g)
    {
        if (Select(g) is not { } choice)
            return null;
        var key = (g, Run(choice));
        Kernels.ConvAlgorithm algorithm = key.Item2;
        if (plans.TryGetValue(key, out Parts? p))
            return p.Items.Length == 0 ? null : p;
        if (Volatile.Read(ref weight) is not { } w)
            return null;
        Parts made;
        try
        {
            using (Execution.CreationTimings.Measure("native: conv plan and pack " + algorithm))
                made = Parts.Create(g, w, bias, activation, threads, algorithm, block);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or OutOfMemoryException or KernoNativeException)
        {
            made = Parts.Empty;
        }
        if (!plans.TryAdd(key, made))
        {
            made.Dispose();
            made = plans[key];
        }
        return made.Items.Length == 0 ? null : made;
    }

    public override void Execute(RunContext context)
    {
        Tensor<float>? z = residual && Inputs.Length > 3 && Inputs[3] >= 0 ? context.Slots[Inputs[3]] as Tensor<float> : null;
        if (Volatile.Read(ref disposed) != 0 || context.Slots[Inputs[0]] is not Tensor<float> x || Geometry(x.Dims) is not { } g
            || (residual && z is null) || Get(g) is not { } parts)
        {
            Fallback(context);
            return;
        }
        Span<int> shape = [g.N, Stored(g.K), g.OutH, g.OutW];
        if (z is not null && !z.Shape.SequenceEqual(shape))
        {
            Fallback(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], shape);
        long inImage = (long)Stored(g.C) * g.H * g.W, outImage = (long)Stored(g.K) * g.OutH * g.OutW;
        if (x.Length != g.N * inImage || y.Length != g.N * outImage || (z is not null && z.Length != y.Length))
            throw Fail("tensor sizes do not match the convolution geometry");
        byte* ws = (byte*)context.Workspace(Index, parts.WorkspaceBytes);
        fixed (float* px = x.Span, py = y.Span, pz = z is null ? default : z.Span)
        {
            LoopJob job = context.Loop;
            for (int n = 0; n < g.N; ++n)
            {
                job.Body = &RunPart;
                job.State = parts;
                job.P0 = px + n * inImage;
                job.P1 = py + n * outImage;
                job.P2 = z is null ? null : pz + n * outImage;
                job.P3 = (float*)ws;
                if (parts.RowChunks > 1)
                {
                    job.Body = &RunRows;
                    job.I0 = g.OutH;
                    job.I1 = parts.RowChunks;
                    job.Run(context.Pool, parts.RowChunks);
                }
                else
                {
                    job.Run(context.Pool, parts.Items.Length, parallel: parts.Items.Length > 1);
                }
            }
            job.State = null;
        }
        Epilogues.After(activation, y.Span);
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>The reference kernel, which needs the original weights: released ones mean the creation-time proof that
    /// every run has the planned shapes was wrong, which is reported rather than computed with missing weights.</summary>
    private void Fallback(RunContext context)
    {
        if (!HasOriginalWeights)
            throw Fail("this run's shapes differ from the ones the session planned (and released the original weights for)");
        RunReference(context);
    }

    private static void RunPart(LoopJob j, int index)
    {
        var parts = (Parts)j.State!;
        Part p = parts.Items[index];
        float* input = j.P0 + p.InputOffset, output = j.P1 + p.OutputOffset, res = j.P2 == null ? null : j.P2 + p.OutputOffset;
        void* ws = p.WorkspaceBytes == 0 ? null : (byte*)j.P3 + p.WorkspaceOffset;
        Native.Check(NativeMethods.kerno_conv2d_run(p.Plan, input, p.Packed, res, output, ws, (nuint)p.WorkspaceBytes), "kerno_conv2d_run");
    }

    /// <summary>Output rows [OH i / chunks, OH (i + 1) / chunks) of the one plan (a row-split <see cref="Parts"/>).</summary>
    private static void RunRows(LoopJob j, int index)
    {
        Part p = ((Parts)j.State!).Items[0];
        long oh = j.I0, chunks = j.I1;
        nuint begin = (nuint)(oh * index / chunks), end = (nuint)(oh * (index + 1) / chunks);
        if (end > begin)
            Native.Check(NativeMethods.kerno_conv2d_run_rows(p.Plan, j.P0, p.Packed, j.P2, j.P1, begin, end), "kerno_conv2d_run_rows");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        foreach (Parts p in plans.Values)
            p.Dispose();
    }

    /// <summary>One plan over a slice of the output channels (or groups) of one image.</summary>
    private sealed class Part
    {
        public nint Plan;
        public float* Packed;
        public long PackedBytes;
        public long InputOffset, OutputOffset;   // elements, within one image
        public long WorkspaceOffset, WorkspaceBytes;
        public Kernels.ConvAlgorithm Algorithm;
    }

    /// <summary>The algorithms accepted for a geometry and the one chosen (tuned or by the cost model).</summary>
    private sealed record Choice(Kernels.ConvAlgorithm[] Candidates, Kernels.ConvAlgorithm Algorithm, bool Tuned);

    private sealed class Parts : IDisposable
    {
        public static readonly Parts Empty = new([]);

        private Parts(Part[] items) => Items = items;

        public Part[] Items { get; }
        public long WorkspaceBytes { get; private init; }

        /// <summary>Above 1: one plan over the whole convolution whose output rows are split into this many chunks
        /// run concurrently (blocked direct and depthwise kernels). Each thread then reads and writes the same rows
        /// in consecutive layers, where a split over channels has every part read the whole input, half of it
        /// written by the other core.</summary>
        public int RowChunks { get; private init; }
        public long PackedBytes => Items.Sum(i => i.PackedBytes);

        /// <summary>One part's slice: output channels [K0, K0 + Shape.K), input channels [C0, C0 + Shape.C), as a
        /// one-image geometry of its own.</summary>
        public readonly record struct Slice(int K0, int C0, ConvGeometry Shape);

        /// <summary>How geometry <paramref name="g"/> is split for <paramref name="threads"/> threads: groups for grouped
        /// convolutions, output channels otherwise, rounded to 16 so every part stays vector-friendly. Blocked
        /// (<paramref name="block"/> &gt; 0): every part but the last starts and ends on a block boundary (16 is a
        /// multiple of every block; a group of a blocked grouped conv is whole blocks; depthwise groups are rounded to
        /// the block), so a part's channels are a contiguous run of whole blocks, at the same offsets as in NCHW.</summary>
        public static List<Slice> Slices(ConvGeometry g, int threads, int block = 0)
        {
            int groupRound = block > 0 && g.Group > 1 && g.CPerGroup == 1 ? block : 1;
            int units = g.Group > 1 ? g.Group : g.K;
            int perUnitK = g.Group > 1 ? g.KPerGroup : 1;
            int count = g.Group > 1 ? Math.Min(threads, g.Group) : Math.Max(1, Math.Min(threads, g.K / MinChannelsPerPart));
            var slices = new List<Slice>(count);
            for (int i = 0; i < count; ++i)
            {
                int u0 = Split(units, count, i, g.Group > 1 ? groupRound : 16), u1 = Split(units, count, i + 1, g.Group > 1 ? groupRound : 16);
                if (u1 <= u0)
                    continue;
                int k0 = u0 * perUnitK, kc = (u1 - u0) * perUnitK;
                int groups = g.Group > 1 ? u1 - u0 : 1;
                int c0 = g.Group > 1 ? u0 * g.CPerGroup : 0, cc = g.Group > 1 ? groups * g.CPerGroup : g.C;
                slices.Add(new Slice(k0, c0, g with { N = 1, C = cc, K = kc, Group = groups }));
            }
            return slices;
        }

        /// <summary>libkerno's plan for one slice with <paramref name="algorithm"/>, or its error status (nothing is packed).</summary>
        private static int CreatePlan(ConvGeometry s, int[] weightShape, FusedActivation act, Kernels.ConvAlgorithm algorithm, int block, out nint plan)
        {
            long* inShape = stackalloc long[4] { 1, s.C, s.H, s.W };
            long* wShape = stackalloc long[4] { s.K, weightShape[1], s.KH, s.KW };
            long* strides = stackalloc long[2] { s.StrideH, s.StrideW };
            long* pads = stackalloc long[4] { s.PadTop, s.PadLeft, s.PadBottom, s.PadRight };
            long* dil = stackalloc long[2] { s.DilationH, s.DilationW };
            int nativeAct = Epilogues.Native(act) ? (int)act.Kind : NativeMethods.KERNO_ACT_NONE;
            nint made;
            var layout = block > 0 ? Kernels.TensorLayout.Nchwc : Kernels.TensorLayout.Nchw;
            int status = NativeMethods.kerno_conv2d_create(inShape, wShape, strides, pads, dil, s.Group, (int)layout,
                (int)algorithm, nativeAct, act.Alpha, act.Beta, &made);
            plan = made;
            return status;
        }

        /// <summary>The algorithms libkerno accepts for every part of <paramref name="g"/>, in <see cref="ConvCostModel.All"/> order.</summary>
        public static Kernels.ConvAlgorithm[] Accepted(ConvGeometry g, int[] weightShape, FusedActivation act, int threads, int block)
        {
            Native.EnsureLoaded();
            if (block > 0 && block != Kernels.NnKernels.NchwcBlock)
                return []; // the graph was blocked for another kernel set
            List<Slice> slices = Slices(g, threads, block);
            if (slices.Count == 0)
                return [];
            var accepted = new List<Kernels.ConvAlgorithm>();
            foreach (Kernels.ConvAlgorithm a in ConvCostModel.All)
            {
                bool all = true;
                foreach (Slice s in slices)
                {
                    int status = CreatePlan(s.Shape, weightShape, act, a, block, out nint plan);
                    if (plan != 0)
                        NativeMethods.kerno_conv2d_destroy(plan);
                    if (status != 0)
                    {
                        all = false;
                        break;
                    }
                }
                if (all)
                    accepted.Add(a);
            }
            return accepted.ToArray();
        }

        public static Parts Create(ConvGeometry g, Tensor<float> weight, float[]? bias, FusedActivation act, int threads, Kernels.ConvAlgorithm algorithm, int block)
        {
            Native.EnsureLoaded();
            var items = new List<Part>();
            long workspace = 0;
            int rows = g.CPerGroup * g.KH * g.KW;
            long* outShape = stackalloc long[4];
            List<Slice> slices = Slices(g, threads, block);
            int rowChunks = 0;
            if (block > 0 && slices.Count > 1 && RowsBalance(g.OutH, threads))
            {
                // One plan over every channel, split by output rows, when its kernel can.
                var whole = new Slice(0, 0, g with { N = 1 });
                int status = CreatePlan(whole.Shape, weight.Shape.ToArray(), act, algorithm, block, out nint probe);
                bool byRows = status == 0 && NativeMethods.kerno_conv2d_can_run_rows(probe) != 0;
                if (probe != 0)
                    NativeMethods.kerno_conv2d_destroy(probe);
                if (byRows)
                {
                    slices = [whole];
                    rowChunks = threads;
                }
            }
            try
            {
                foreach (Slice s in slices)
                {
                    int k0 = s.K0, kc = s.Shape.K;
                    Native.Check(CreatePlan(s.Shape, weight.Shape.ToArray(), act, algorithm, block, out nint plan), "kerno_conv2d_create");
                    if (block > 0 && (s.K0 % block != 0 || s.C0 % block != 0))
                        throw new NotSupportedException("a blocked part must start on a block boundary");
                    var part = new Part { Plan = plan, InputOffset = (long)s.C0 * g.H * g.W, OutputOffset = (long)k0 * g.OutH * g.OutW };
                    items.Add(part);
                    Native.Check(NativeMethods.kerno_conv2d_output_shape(plan, outShape), "kerno_conv2d_output_shape");
                    if (outShape[0] != 1 || outShape[1] != kc || outShape[2] != g.OutH || outShape[3] != g.OutW)
                        throw new NotSupportedException("the native plan's output shape differs from ONNX's");
                    part.Algorithm = (Kernels.ConvAlgorithm)NativeMethods.kerno_conv2d_algorithm(plan);
                    nuint packedSize = NativeMethods.kerno_conv2d_packed_size(plan);
                    part.PackedBytes = (long)packedSize;
                    part.Packed = (float*)Interop.NativeBuffer.Alloc(Math.Max(packedSize, 64));
                    part.WorkspaceBytes = (long)NativeMethods.kerno_conv2d_workspace_size(plan);
                    part.WorkspaceOffset = workspace;
                    workspace += MemoryPlanner.Align(part.WorkspaceBytes);
                    if ((long)k0 * rows + (long)kc * rows > weight.Length || (bias is not null && k0 + kc > bias.Length))
                        throw new ArgumentException("weight slice out of range");
                    fixed (float* w = weight.Span, b = bias)
                        Native.Check(NativeMethods.kerno_conv2d_pack(plan, w + (long)k0 * rows, b == null ? null : b + k0, part.Packed, packedSize), "kerno_conv2d_pack");
                }
            }
            catch
            {
                new Parts(items.ToArray()).Dispose();
                throw;
            }
            return new Parts(items.ToArray()) { WorkspaceBytes = workspace, RowChunks = rowChunks };
        }

        /// <summary>Whether <paramref name="rows"/> output rows split evenly enough over the threads: ResNet-50's 7x7
        /// layers split 4 + 3 rows lose to a channel split.</summary>
        private static bool RowsBalance(int rows, int threads) => rows % threads == 0 || rows >= 8 * threads;

        private static int Split(int units, int count, int i, int round)
        {
            if (i >= count)
                return units;
            int at = (int)((long)units * i / count);
            at = (at + round / 2) / round * round;
            return Math.Clamp(at, 0, units);
        }

        public void Dispose()
        {
            foreach (Part p in Items)
            {
                if (p.Plan != 0)
                    NativeMethods.kerno_conv2d_destroy(p.Plan);
                p.Plan = 0;
                if (p.Packed != null)
                    Interop.NativeBuffer.Free(p.Packed);
                p.Packed = null;
            }
        }
    }
}
