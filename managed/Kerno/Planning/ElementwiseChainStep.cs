using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Optimizer.Passes;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// kerno.ElementwiseChain on float tensors: the whole program runs on one block of the tensor at a time (a block and its
/// operand block stay in L1), so the tensor is read and written once; blocks are split across the pool for large
/// tensors, in place when the planner allows. Operands are broadcast as scalars, per-channel runs, trailing vectors or full tensors;
/// anything else (actual shapes that differ from the chain input's) runs the reference kernel.
/// </summary>
internal sealed unsafe class ElementwiseChainStep : KernelStep
{
    private const int Block = 1024;

    private enum Op { Add, Sub, Mul, Div, Max, Min, Neg, Abs, Sqrt, Exp, Activation }

    private readonly Op[] ops;
    private readonly int[] operands;
    private readonly bool[] swapped;
    private readonly FusedActivation[] activations;

    public ElementwiseChainStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference)
    {
        var program = FuseElementwiseChain.Program(node) ?? throw new NotSupportedException("not an element-wise program");
        long[] operandIndex = node.GetInts("operands")!;
        ops = new Op[program.Length];
        operands = operandIndex.Select(i => (int)i).ToArray();
        swapped = program.Select(s => s.Swapped).ToArray();
        activations = new FusedActivation[program.Length];
        for (int i = 0; i < program.Length; ++i)
        {
            var s = program[i];
            (ops[i], activations[i]) = s.Op switch
            {
                "Add" => (Op.Add, default(FusedActivation)),
                "Sub" => (Op.Sub, default),
                "Mul" => (Op.Mul, default),
                "Div" => (Op.Div, default),
                "Max" => (Op.Max, default),
                "Min" => (Op.Min, default),
                "Neg" => (Op.Neg, default),
                "Abs" => (Op.Abs, default),
                "Sqrt" => (Op.Sqrt, default),
                "Exp" => (Op.Exp, default),
                "Relu" => (Op.Activation, new FusedActivation(ActivationKind.Relu)),
                "LeakyRelu" => (Op.Activation, new FusedActivation(ActivationKind.LeakyRelu, s.P0)),
                "Clip" => (Op.Activation, new FusedActivation(ActivationKind.Clip, s.P0, s.P1)),
                "Sigmoid" => (Op.Activation, new FusedActivation(ActivationKind.Sigmoid)),
                "HardSwish" => (Op.Activation, new FusedActivation(ActivationKind.HardSwish)),
                "HardSigmoid" => (Op.Activation, new FusedActivation(ActivationKind.HardSigmoid, s.P0, s.P1)),
                "Tanh" => (Op.Activation, new FusedActivation(ActivationKind.Tanh)),
                _ => throw new NotSupportedException(s.Op),
            };
        }
    }

    public override string KernelName => "eltwise-chain";

    public override int InPlaceInput => 0;

    /// <summary>How one operand reads: element g of the chain uses Data[(g / Repeat) % Period].</summary>
    private struct Operand
    {
        public float* Data;
        public long Period, Repeat;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(RunContext context)
    {
        int inputs = Node.Inputs.Count;
        var tensors = new Tensor<float>[inputs];
        for (int i = 0; i < inputs; ++i)
        {
            if (context.Slots[Inputs[i]] is not Tensor<float> t)
            {
                RunReference(context);
                return;
            }
            tensors[i] = t;
        }
        Tensor<float> x = tensors[0];
        var patterns = new (long Period, long Repeat)[inputs];
        for (int i = 0; i < inputs; ++i)
        {
            if (BinaryStep.Pattern(x.Shape, tensors[i].Shape) is not { } p || tensors[i].Length != p.Period)
            {
                RunReference(context); // the chain would broadcast: the reference kernel judges it
                return;
            }
            patterns[i] = p;
        }
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        if (y.Length != x.Length)
            throw Fail("output size mismatch");
        if (x.Length > 0)
        {
            Native.EnsureLoaded();
            var handles = new MemoryHandle[inputs + 1];
            try
            {
                var bound = new Operand[inputs];
                for (int i = 0; i < inputs; ++i)
                {
                    handles[i] = tensors[i].Memory.Pin();
                    bound[i] = new Operand { Data = (float*)handles[i].Pointer, Period = patterns[i].Period, Repeat = patterns[i].Repeat };
                }
                handles[inputs] = y.Memory.Pin();
                fixed (Operand* po = bound)
                {
                    LoopJob job = context.Loop;
                    job.Body = &Run;
                    job.P0 = (float*)po;
                    job.P1 = (float*)handles[inputs].Pointer;
                    job.State = this;
                    job.I4 = x.Length;
                    int chunks = ManagedKernels.Chunks(context, x.Length * (long)ops.Length);
                    job.I5 = chunks;
                    job.Run(context.Pool, chunks);
                    job.State = null;
                }
            }
            finally
            {
                foreach (MemoryHandle h in handles)
                    h.Dispose();
            }
        }
        context.Slots[Outputs[0]] = y;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(LoopJob j, int chunk)
    {
        int n = j.I4, chunks = j.I5;
        int begin = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
        ((ElementwiseChainStep)j.State!).RunRange((Operand*)j.P0, j.P1, begin, end);
    }

    /// <summary>
    /// Elements [begin, end), one block at a time: the first op reads the input, the ops in between work in an L1 buffer,
    /// the last writes y. y may alias a full-shape input: each element is read before it is written, and later blocks
    /// are not written yet.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunRange(Operand* operandsOf, float* y, int begin, int end)
    {
        float* buffer = stackalloc float[Block];
        float* scratch = stackalloc float[Block];
        for (int b0 = begin; b0 < end; b0 += Block)
        {
            int len = Math.Min(Block, end - b0);
            float* src = operandsOf[0].Data + b0;
            for (int s = 0; s < ops.Length; ++s)
            {
                float* dst = s == ops.Length - 1 ? y + b0 : buffer;
                Op op = ops[s];
                if (op == Op.Activation)
                    Activate(activations[s], dst, src, len);
                else if (op >= Op.Neg)
                    Unary(op, dst, src, len);
                else
                {
                    Operand o = operandsOf[operands[s]];
                    if (o.Period == 1)
                        Binary(op, swapped[s], dst, src, null, o.Data[0], len);
                    else
                        Binary(op, swapped[s], dst, src, Gather(o, b0, len, scratch), 0, len);
                }
                src = dst;
            }
        }
    }

    /// <summary>The operand's values for elements [b0, b0 + len): the tensor itself when it is full-shape, else expanded into <paramref name="scratch"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float* Gather(Operand o, int b0, int len, float* scratch)
    {
        if (o.Repeat == 1 && b0 + len <= o.Period)
            return o.Data + b0; // full shape (or a period covering the block): read in place
        for (int k = 0; k < len;)
        {
            long g = b0 + k;
            if (o.Repeat > 1)
            {
                // a run of equal values (per-channel)
                int run = (int)Math.Min(len - k, o.Repeat - g % o.Repeat);
                var value = new Vector<float>(o.Data[g / o.Repeat % o.Period]);
                int end = k + run, w = Vector<float>.Count;
                for (; k + w <= end; k += w)
                    value.Store(scratch + k);
                for (; k < end; ++k)
                    scratch[k] = value[0];
            }
            else
            {
                // a trailing vector repeating every Period elements
                int off = (int)(g % o.Period), run = (int)Math.Min(len - k, o.Period - off);
                Buffer.MemoryCopy(o.Data + off, scratch + k, run * sizeof(float), run * sizeof(float));
                k += run;
            }
        }
        return scratch;
    }

    /// <summary>A binary op as a type, so each op gets its own tight loop (a switch inside the loop costs more than the op).</summary>
    private interface IBinary
    {
        static abstract Vector<float> Apply(Vector<float> a, Vector<float> b);
        static abstract float Apply(float a, float b);
    }

    private readonly struct AddOp : IBinary
    {
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => a + b;
        public static float Apply(float a, float b) => a + b;
    }

    private readonly struct SubOp : IBinary
    {
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => a - b;
        public static float Apply(float a, float b) => a - b;
    }

    private readonly struct MulOp : IBinary
    {
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => a * b;
        public static float Apply(float a, float b) => a * b;
    }

    private readonly struct DivOp : IBinary
    {
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => a / b;
        public static float Apply(float a, float b) => a / b;
    }

    private readonly struct MaxOp : IBinary
    {
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => Vector.Max(a, b);
        public static float Apply(float a, float b) => MathF.Max(a, b);
    }

    private readonly struct MinOp : IBinary
    {
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => Vector.Min(a, b);
        public static float Apply(float a, float b) => MathF.Min(a, b);
    }

    /// <summary>dst = v op z (z = null: the scalar c), or z op v when <paramref name="swap"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binary(Op op, bool swap, float* dst, float* v, float* z, float c, int len)
    {
        switch (op)
        {
            case Op.Add: Binary<AddOp>(swap, dst, v, z, c, len); break;
            case Op.Sub: Binary<SubOp>(swap, dst, v, z, c, len); break;
            case Op.Mul: Binary<MulOp>(swap, dst, v, z, c, len); break;
            case Op.Div: Binary<DivOp>(swap, dst, v, z, c, len); break;
            case Op.Max: Binary<MaxOp>(swap, dst, v, z, c, len); break;
            default: Binary<MinOp>(swap, dst, v, z, c, len); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binary<T>(bool swap, float* dst, float* v, float* z, float c, int len) where T : IBinary
    {
        if (z == null)
        {
            if (swap)
                ScalarLeft<T>(dst, v, c, len);
            else
                ScalarRight<T>(dst, v, c, len);
        }
        else if (swap)
            Tensor<T>(dst, z, v, len); // z op v
        else
            Tensor<T>(dst, v, z, len);
    }

    /// <summary>y = a op b element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tensor<T>(float* y, float* a, float* b, int len) where T : IBinary
    {
        int i = 0, w = Vector<float>.Count;
        for (; i + w <= len; i += w)
            T.Apply(Vector.Load(a + i), Vector.Load(b + i)).Store(y + i);
        for (; i < len; ++i)
            y[i] = T.Apply(a[i], b[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarRight<T>(float* dst, float* v, float c, int len) where T : IBinary
    {
        int i = 0, w = Vector<float>.Count;
        var cv = new Vector<float>(c);
        for (; i + w <= len; i += w)
            T.Apply(Vector.Load(v + i), cv).Store(dst + i);
        for (; i < len; ++i)
            dst[i] = T.Apply(v[i], c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarLeft<T>(float* dst, float* v, float c, int len) where T : IBinary
    {
        int i = 0, w = Vector<float>.Count;
        var cv = new Vector<float>(c);
        for (; i + w <= len; i += w)
            T.Apply(cv, Vector.Load(v + i)).Store(dst + i);
        for (; i < len; ++i)
            dst[i] = T.Apply(c, v[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unary(Op op, float* dst, float* v, int len)
    {
        int i = 0, w = Vector<float>.Count;
        switch (op)
        {
            case Op.Neg:
                for (; i + w <= len; i += w)
                    (-Vector.Load(v + i)).Store(dst + i);
                for (; i < len; ++i)
                    dst[i] = -v[i];
                break;
            case Op.Abs:
                for (; i + w <= len; i += w)
                    Vector.Abs(Vector.Load(v + i)).Store(dst + i);
                for (; i < len; ++i)
                    dst[i] = MathF.Abs(v[i]);
                break;
            case Op.Sqrt:
                for (; i + w <= len; i += w)
                    Vector.SquareRoot(Vector.Load(v + i)).Store(dst + i);
                for (; i < len; ++i)
                    dst[i] = MathF.Sqrt(v[i]);
                break;
            default:
                Exp(dst, v, len);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Exp(float* dst, float* v, int len)
    {
        int i = 0, w = Vector<float>.Count;
        var lo = new Vector<float>(-87f);
        var hi = new Vector<float>(88f);
        for (; i + w <= len; i += w)
        {
            Vector<float> a = Vector.Load(v + i);
            // the vector exp is exact enough inside [-87, 88]; outside (or NaN) element by element
            if (Vector.LessThanOrEqualAll(a, hi) && Vector.GreaterThanOrEqualAll(a, lo))
                ExpStep.Exp(a).Store(dst + i);
            else
                for (int k = i; k < i + w; ++k)
                    dst[k] = MathF.Exp(v[k]);
        }
        for (; i < len; ++i)
            dst[i] = MathF.Exp(v[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Activate(FusedActivation act, float* dst, float* v, int len)
    {
        if (Epilogues.Native(act))
        {
            Native.Check(NativeMethods.kerno_activation(v, dst, (nuint)len, (int)act.Kind, act.Alpha, act.Beta), "kerno_activation");
            return;
        }
        for (int i = 0; i < len; ++i)
            dst[i] = act.Apply(v[i]);
    }
}
