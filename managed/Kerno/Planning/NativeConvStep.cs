using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Conv / kerno.FusedConv (2-D, NCHW, float) on libkerno's convolution plans: weights packed (for Winograd:
/// transformed) once per input geometry, bias, residual and activation fused. <c>kerno_conv2d_run</c> is
/// single-threaded, so with several threads the convolution is split into parts along the output channels (or
/// along the groups of a grouped convolution): each part is its own plan over a contiguous slice of the weights,
/// writing a contiguous slice of each image's output, run in parallel on the session's pool with a workspace of its
/// own. The algorithm (Winograd F(2,3)/F(4,3)/F(6,3), im2col, 1x1 GEMM, depthwise, direct) is the plan's own cost
/// model's choice for each part's shape.
/// </summary>
internal sealed unsafe class NativeConvStep : KernelStep, IDisposable
{
    /// <summary>Each part keeps at least this many output channels (fewer parts when K is small).</summary>
    private const int MinChannelsPerPart = 16;

    private readonly Tensor<float> weight;
    private readonly float[]? bias;
    private readonly FusedActivation activation;
    private readonly bool residual;
    private readonly int threads;
    private readonly ConcurrentDictionary<ConvGeometry, Parts> plans = new();
    private int disposed;

    public NativeConvStep(Node node, long opset, ReferenceKernel reference, Tensor<float> weight, Tensor<float>? bias,
        FusedActivation activation, bool residual, int threads)
        : base(node, opset, reference)
    {
        this.weight = weight;
        this.bias = bias?.Span.ToArray();
        this.activation = activation;
        this.residual = residual;
        this.threads = threads;
    }

    public override string KernelName => "conv-" + Algorithms() + (activation.Kind != ActivationKind.None ? "+" + activation.Kind.ToString().ToLowerInvariant() : "");

    public override IEnumerable<int> ConsumedConstants => bias is null ? [1] : [1, 2];

    public override long PackedBytes => plans.Values.Sum(p => p.PackedBytes);

    private string Algorithms()
    {
        var names = plans.Values.SelectMany(p => p.Items.Select(i => i.Algorithm)).Distinct().Select(a => a.ToString().ToLowerInvariant()).ToList();
        return names.Count == 0 ? "native" : string.Join("/", names);
    }

    private ConvGeometry? Geometry(int[]? x) => x is null ? null : ConvGeometry.Of(Node, x, weight.Shape);

    public override double Flops(Func<int, int[]?> shapeOf) => Geometry(shapeOf(Inputs[0]))?.Flops ?? 0;

    public override long WorkspaceBytes(Func<int, int[]?> shapeOf) => Geometry(shapeOf(Inputs[0])) is { } g && Get(g) is { } p ? p.WorkspaceBytes : 0;

    /// <summary>Creates the plans for a geometry at session creation (so packing does not happen in a timed run).</summary>
    public bool Prepare(int[]? x) => Geometry(x) is { } g && Get(g) is not null;

    /// <summary>The parts for a geometry, made and packed on first use; null when libkerno refuses the geometry.</summary>
    private Parts? Get(ConvGeometry g)
    {
        if (plans.TryGetValue(g, out Parts? p))
            return p.Items.Length == 0 ? null : p;
        Parts made;
        try
        {
            made = Parts.Create(g, weight, bias, activation, threads);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or OutOfMemoryException or KernoNativeException)
        {
            made = Parts.Empty;
        }
        if (!plans.TryAdd(g, made))
        {
            made.Dispose();
            made = plans[g];
        }
        return made.Items.Length == 0 ? null : made;
    }

    public override void Execute(RunContext context)
    {
        Tensor<float>? z = residual && Inputs.Length > 3 && Inputs[3] >= 0 ? context.Slots[Inputs[3]] as Tensor<float> : null;
        if (Volatile.Read(ref disposed) != 0 || context.Slots[Inputs[0]] is not Tensor<float> x || Geometry(x.Dims) is not { } g
            || (residual && z is null) || Get(g) is not { } parts)
        {
            RunReference(context);
            return;
        }
        Span<int> shape = [g.N, g.K, g.OutH, g.OutW];
        if (z is not null && !z.Shape.SequenceEqual(shape))
        {
            RunReference(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], shape);
        long inImage = (long)g.C * g.H * g.W, outImage = (long)g.K * g.OutH * g.OutW;
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
                job.Run(context.Pool, parts.Items.Length, parallel: parts.Items.Length > 1);
            }
            job.State = null;
        }
        Epilogues.After(activation, y.Span);
        context.Slots[Outputs[0]] = y;
    }

    private static void RunPart(LoopJob j, int index)
    {
        var parts = (Parts)j.State!;
        Part p = parts.Items[index];
        float* input = j.P0 + p.InputOffset, output = j.P1 + p.OutputOffset, res = j.P2 == null ? null : j.P2 + p.OutputOffset;
        void* ws = p.WorkspaceBytes == 0 ? null : (byte*)j.P3 + p.WorkspaceOffset;
        Native.Check(NativeMethods.kerno_conv2d_run(p.Plan, input, p.Packed, res, output, ws, (nuint)p.WorkspaceBytes), "kerno_conv2d_run");
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

    private sealed class Parts : IDisposable
    {
        public static readonly Parts Empty = new([]);

        private Parts(Part[] items) => Items = items;

        public Part[] Items { get; }
        public long WorkspaceBytes { get; private init; }
        public long PackedBytes => Items.Sum(i => i.PackedBytes);

        public static Parts Create(ConvGeometry g, Tensor<float> weight, float[]? bias, FusedActivation act, int threads)
        {
            Native.EnsureLoaded();
            // Split units: groups for grouped convolutions, output channels otherwise.
            int units = g.Group > 1 ? g.Group : g.K;
            int perUnitK = g.Group > 1 ? g.KPerGroup : 1;
            int count = g.Group > 1 ? Math.Min(threads, g.Group) : Math.Max(1, Math.Min(threads, g.K / MinChannelsPerPart));
            int nativeAct = Epilogues.Native(act) ? (int)act.Kind : NativeMethods.KERNO_ACT_NONE;
            var items = new List<Part>();
            long workspace = 0;
            int rows = g.CPerGroup * g.KH * g.KW;
            long* inShape = stackalloc long[4];
            long* wShape = stackalloc long[4];
            long* strides = stackalloc long[2] { g.StrideH, g.StrideW };
            long* pads = stackalloc long[4] { g.PadTop, g.PadLeft, g.PadBottom, g.PadRight };
            long* dil = stackalloc long[2] { g.DilationH, g.DilationW };
            long* outShape = stackalloc long[4];
            try
            {
                for (int i = 0; i < count; ++i)
                {
                    // Contiguous unit ranges; output-channel ranges rounded to 16 so every part stays vector-friendly.
                    int u0 = Split(units, count, i, g.Group > 1 ? 1 : 16), u1 = Split(units, count, i + 1, g.Group > 1 ? 1 : 16);
                    if (u1 <= u0)
                        continue;
                    int k0 = u0 * perUnitK, kc = (u1 - u0) * perUnitK;
                    int groups = g.Group > 1 ? u1 - u0 : 1;
                    int c0 = g.Group > 1 ? u0 * g.CPerGroup : 0, cc = g.Group > 1 ? groups * g.CPerGroup : g.C;
                    (inShape[0], inShape[1], inShape[2], inShape[3]) = (1, cc, g.H, g.W);
                    (wShape[0], wShape[1], wShape[2], wShape[3]) = (kc, g.CPerGroup, g.KH, g.KW);
                    nint plan;
                    Native.Check(NativeMethods.kerno_conv2d_create(inShape, wShape, strides, pads, dil, groups, (int)Kernels.TensorLayout.Nchw,
                        0, nativeAct, act.Alpha, act.Beta, &plan), "kerno_conv2d_create");
                    var part = new Part { Plan = plan, InputOffset = (long)c0 * g.H * g.W, OutputOffset = (long)k0 * g.OutH * g.OutW };
                    items.Add(part);
                    Native.Check(NativeMethods.kerno_conv2d_output_shape(plan, outShape), "kerno_conv2d_output_shape");
                    if (outShape[0] != 1 || outShape[1] != kc || outShape[2] != g.OutH || outShape[3] != g.OutW)
                        throw new NotSupportedException("the native plan's output shape differs from ONNX's");
                    part.Algorithm = (Kernels.ConvAlgorithm)NativeMethods.kerno_conv2d_algorithm(plan);
                    nuint packedSize = NativeMethods.kerno_conv2d_packed_size(plan);
                    part.PackedBytes = (long)packedSize;
                    part.Packed = (float*)NativeMemory.AlignedAlloc(Math.Max(packedSize, 64), 64);
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
            return new Parts(items.ToArray()) { WorkspaceBytes = workspace };
        }

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
                    NativeMemory.AlignedFree(p.Packed);
                p.Packed = null;
            }
        }
    }
}
