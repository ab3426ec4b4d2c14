using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Reshape with a shape known at session creation (the attribute before opset 5, a constant input after): the
/// output is a view of the input (same memory, no copy), made without the reference kernel's per-call setup.
/// A requested shape the input does not fit goes to the reference kernel, which reports it.
/// </summary>
internal sealed class ReshapeStep : KernelStep
{
    private const int MaxRank = 16;
    private readonly long[] requested;
    private readonly bool allowZero;

    public ReshapeStep(Node node, long opset, ReferenceKernel reference, long[] requested) : base(node, opset, reference)
    {
        this.requested = requested;
        allowZero = opset >= 14 && node.GetInt("allowzero", 0) != 0;
    }

    public override string KernelName => "reshape-view";

    public override bool ArenaOutput(int output) => false;

    public override int ViewOf(int output) => output == 0 ? 0 : -1;

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor x || requested.Length > MaxRank)
        {
            RunReference(context);
            return;
        }
        Span<int> shape = stackalloc int[requested.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; ++i)
        {
            long d = requested[i];
            if (d == -1 && inferred < 0 && !allowZero)
            {
                inferred = i;
                continue;
            }
            if (d == 0 && !allowZero)
            {
                if (i >= x.Rank)
                {
                    RunReference(context);
                    return;
                }
                d = x.Shape[i];
            }
            if (d < 0 || d > int.MaxValue)
            {
                RunReference(context);
                return;
            }
            shape[i] = (int)d;
            known *= d;
        }
        if (inferred >= 0)
        {
            if (known == 0 || x.Length % known != 0)
            {
                RunReference(context);
                return;
            }
            shape[inferred] = (int)(x.Length / known);
        }
        else if (known != x.Length)
        {
            RunReference(context);
            return;
        }
        context.Slots[Outputs[0]] = x.Reshape(shape);
    }
}
