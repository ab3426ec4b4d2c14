using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// One node of the execution order with the kernel chosen for it. Steps are built once per session (weights are
/// packed then) and shared by every execution plan and every concurrent run; all per-run state is in the
/// <see cref="RunContext"/>.
/// </summary>
internal abstract class KernelStep
{
    protected KernelStep(Node node, long opset, ReferenceKernel reference)
    {
        Node = node;
        Opset = opset;
        Reference = reference;
    }

    public Node Node { get; }

    /// <summary>Opset of the node's domain.</summary>
    public long Opset { get; }

    /// <summary>The node's reference kernel: what reference steps run, and what native ones fall back to when a
    /// run's shapes are outside what the native kernel handles.</summary>
    public ReferenceKernel Reference { get; }

    /// <summary>Position in the execution order.</summary>
    public int Index { get; set; }

    /// <summary>Value id per node input (-1 for an omitted one).</summary>
    public int[] Inputs { get; set; } = [];

    /// <summary>Value id per node output (-1 for an omitted one).</summary>
    public int[] Outputs { get; set; } = [];

    /// <summary>Every value id the step reads: explicit inputs and the outer-scope values its subgraphs read.</summary>
    public int[] Reads { get; set; } = [];

    /// <summary>Short name of the kernel, for inspect and profiles (e.g. "sgemm-packed", "reference").</summary>
    public abstract string KernelName { get; }

    /// <summary>True for kernels on libkerno; false for reference steps.</summary>
    public virtual bool IsNative => true;

    /// <summary>Node input positions the step never reads at run time (weights it packed), so their initializers can go.</summary>
    public virtual IEnumerable<int> ConsumedConstants => [];

    /// <summary>
    /// Called at session creation when every run is known to have the shapes <paramref name="staticShapeOf"/> gives
    /// (all graph inputs fixed, so input validation enforces them, and shape inference fixed the rest): a step whose
    /// native path handles exactly those shapes (planned and packed now) commits to it, drops its own references to
    /// the originals of <see cref="ConsumedConstants"/> and returns true; their initializers can then be freed.
    /// Steps that may still need the reference fallback return false and keep them.
    /// </summary>
    public virtual bool ReleaseOriginals(Func<int, int[]?> staticShapeOf) => false;

    /// <summary>Bytes of packed or transformed weights the step holds.</summary>
    public virtual long PackedBytes => 0;

    /// <summary>Node input position whose memory the first output may take over when that input dies here, or -1.</summary>
    public virtual int InPlaceInput => -1;

    /// <summary>Node input position output <paramref name="output"/> is a view of (shares memory with), or -1.</summary>
    public virtual int ViewOf(int output) => -1;

    /// <summary>Per node input: the byte offset at which that input is a contiguous piece of output 0 (-1 where it is
    /// not), so the planner can have its producer write it there; null when no input is. Only for these (planned)
    /// shapes; a step that returns offsets must still work when an input is elsewhere.</summary>
    public virtual long[]? InputPiecesOfOutput(Func<int, int[]?> shapeOf) => null;

    /// <summary>Whether output <paramref name="output"/> of known shape may be planned into the arena.</summary>
    public virtual bool ArenaOutput(int output) => IsNative;

    /// <summary>Bytes of scratch the step needs for these (planned) input shapes.</summary>
    public virtual long WorkspaceBytes(Func<int, int[]?> shapeOf) => 0;

    /// <summary>Floating-point operations for these shapes (multiply-add = 2), or 0 when not estimated.</summary>
    public virtual double Flops(Func<int, int[]?> shapeOf) => 0;

    /// <summary>Runs the step: reads inputs from the context's slots, writes outputs there.</summary>
    public abstract void Execute(RunContext context);

    /// <summary>Runs the reference kernel (with its inputs from the slots) and stores its outputs.</summary>
    protected void RunReference(RunContext context)
    {
        var inputs = new Value?[Inputs.Length];
        for (int i = 0; i < inputs.Length; ++i)
            inputs[i] = Inputs[i] < 0 ? null : context.Slots[Inputs[i]];
        ISubgraphRunner? subgraphs = Reads.Length > Inputs.Count(i => i >= 0) || GraphScopes.Subgraphs(Node).Any()
            ? context.SubgraphFrame(this)
            : null;
        Value?[] results;
        try
        {
            results = Reference(new OpContext(Node, Opset, inputs, subgraphs)) ?? throw new KernoModelException(Node, "the kernel returned no outputs");
        }
        catch (Exception e) when (e is not KernoModelException and not OperationCanceledException)
        {
            throw new KernoModelException(Node, $"{e.GetType().Name}: {e.Message}", e);
        }
        for (int i = 0; i < Outputs.Length; ++i)
        {
            if (Outputs[i] < 0)
                continue;
            Value? v = i < results.Length ? results[i] : null;
            // A reference kernel may hand back (a view of) an input; if that input lives in the arena and the plan
            // did not count on it, copy it so the arena can be reused safely.
            if (ArenaMemory.Escapes(v) && !context.Plan.IsArenaValue(Outputs[i]))
                v = ArenaMemory.CopyOut(v);
            context.Slots[Outputs[i]] = v;
        }
    }

    /// <summary>Wraps native failures and argument errors with the node's name.</summary>
    protected KernoModelException Fail(string problem) => new(Node, problem);
}

/// <summary>A node run by its managed reference kernel.</summary>
internal sealed class ReferenceStep : KernelStep
{
    private static readonly HashSet<string> ViewOps = new(StringComparer.Ordinal) { "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity" };

    public ReferenceStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "reference";

    public override bool IsNative => false;

    public override int ViewOf(int output) => output == 0 && Node.Domain.Length == 0 && ViewOps.Contains(Node.OpType) ? 0 : -1;

    public override void Execute(RunContext context) => RunReference(context);
}
