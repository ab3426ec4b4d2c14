using Kerno.Graph;

namespace Kerno.Tests.Reliability;

/// <summary>What happened to one (possibly hostile) model handed to <see cref="ModelProbe"/>.</summary>
public enum ProbeOutcome
{
    /// <summary>Session creation refused the model with a <see cref="KernoModelException"/>.</summary>
    Rejected,
    /// <summary>The model loaded and one run on random inputs of the declared shapes completed.</summary>
    Ran,
    /// <summary>The model loaded; the run refused it with a <see cref="KernoModelException"/>.</summary>
    RunRejected,
    /// <summary>The model loaded but was not run: it declares inputs the probe cannot make (maps, huge shapes), or the caller's run-time budget was spent.</summary>
    NotRun,
    /// <summary>Another exception type escaped: a bug.</summary>
    Failed,
    /// <summary>Load or run did not finish within the time limit: a bug (hang).</summary>
    Hung,
}

/// <summary>The outcome of a probe and, for failures, what was thrown.</summary>
public sealed record ProbeResult(ProbeOutcome Outcome, Exception? Error = null, string? Stage = null)
{
    /// <summary>
    /// A <see cref="KernoModelException"/> that wraps an exception a correct operator never throws
    /// (NullReferenceException, IndexOutOfRangeException, InvalidCastException, ...): safe, but it means a
    /// missing check in that operator.
    /// </summary>
    public bool IsInternalError => Error is KernoModelException { InnerException: { } inner } && ModelProbe.IsBugLike(inner);

    /// <summary>True for outcomes the hostile-input promise allows.</summary>
    public bool IsAcceptable => Outcome is ProbeOutcome.Rejected or ProbeOutcome.Ran or ProbeOutcome.RunRejected or ProbeOutcome.NotRun;
}

/// <summary>
/// The hostile-model harness shared by the corruption test, the in-process fuzz loop and the SharpFuzz
/// target: create a session (load, validate, infer shapes, optimize, plan), and when that succeeds, run it once
/// on random inputs of the declared shapes. The input seed picks the backend (<see cref="BackendFor"/>), so
/// every caller covers both the native backend (the default, with its unsafe steps over arenas) and the
/// reference one. Every exception is classified; a per-model time limit turns a hang into an outcome instead
/// of a stuck test.
/// </summary>
public static class ModelProbe
{
    /// <summary>Limits used for hostile models: real models fit, a probe never allocates gigabytes.</summary>
    public static SessionOptions Options(ExecutionBackend backend = ExecutionBackend.Native) => new()
    {
        Backend = backend,
        MaxTensorElements = 1 << 24,
        MaxModelBytes = 64 << 20,
        MaxNodes = 100_000,
        MaxSubgraphDepth = 16,
    };

    /// <summary>Largest total element count of the random inputs the probe feeds.</summary>
    public const long MaxInputElements = 1 << 22;

    /// <summary>The backend a probe with input seed <paramref name="seed"/> uses: native for even seeds, reference for odd.</summary>
    public static ExecutionBackend BackendFor(int seed) => (seed & 1) == 0 ? ExecutionBackend.Native : ExecutionBackend.Reference;

    /// <summary>Loads and runs <paramref name="model"/> on this thread; <paramref name="cancellation"/> stops the run between nodes.</summary>
    public static ProbeResult Probe(byte[] model, int seed, CancellationToken cancellation = default, bool run = true)
    {
        InferenceSession session;
        try
        {
            session = new InferenceSession(model, Options(BackendFor(seed)));
        }
        catch (KernoModelException e)
        {
            return new ProbeResult(ProbeOutcome.Rejected, e, "load");
        }
        catch (Exception e)
        {
            return new ProbeResult(ProbeOutcome.Failed, e, "load");
        }
        using (session)
        {
            if (!run)
                return new ProbeResult(ProbeOutcome.NotRun);
            Dictionary<string, Value>? inputs = RandomInputs(session, new Random(seed));
            if (inputs is null)
                return new ProbeResult(ProbeOutcome.NotRun);
            try
            {
                session.Run(inputs, cancellation);
                return new ProbeResult(ProbeOutcome.Ran);
            }
            catch (KernoModelException e)
            {
                return new ProbeResult(ProbeOutcome.RunRejected, e, "run");
            }
            catch (OperationCanceledException e) when (cancellation.IsCancellationRequested)
            {
                return new ProbeResult(ProbeOutcome.Hung, e, "run");
            }
            catch (Exception e)
            {
                return new ProbeResult(ProbeOutcome.Failed, e, "run");
            }
        }
    }

    /// <summary>
    /// <see cref="Probe(byte[], int, CancellationToken)"/> with a time limit: the run is cancelled (between nodes)
    /// after <paramref name="timeout"/>, and a load or single node that still does not return within twice
    /// the limit is reported as hung (its thread is abandoned).
    /// </summary>
    public static ProbeResult ProbeWithTimeout(byte[] model, int seed, TimeSpan timeout, bool run = true)
    {
        using var cts = new CancellationTokenSource(timeout);
        var task = Task.Factory.StartNew(() => Probe(model, seed, cts.Token, run), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!task.Wait(timeout * 2))
            return new ProbeResult(ProbeOutcome.Hung, null, "load or a single node");
        return task.Result;
    }

    /// <summary>Exceptions that mean a missing check when an operator or the loader throws them.</summary>
    public static bool IsBugLike(Exception e) => e is NullReferenceException or IndexOutOfRangeException
        or InvalidCastException or KeyNotFoundException or DivideByZeroException or OverflowException
        or ArgumentOutOfRangeException or InvalidOperationException or NotImplementedException or StackOverflowException
        or OutOfMemoryException;

    /// <summary>Random inputs of the declared types and shapes (unknown sizes = 1); null when one cannot be made.</summary>
    public static Dictionary<string, Value>? RandomInputs(InferenceSession session, Random random)
    {
        var inputs = new Dictionary<string, Value>(StringComparer.Ordinal);
        long total = 0;
        foreach (NodeMetadata input in session.Inputs)
        {
            Value? v = RandomValue(input.Type, random, ref total);
            if (v is null)
                return null;
            inputs[input.Name] = v;
        }
        return inputs;
    }

    private static Value? RandomValue(TypeInfo? type, Random random, ref long total)
    {
        switch (type)
        {
            case null:
                return RandomTensor(DataType.Float, [1], random, ref total);
            case TensorTypeInfo t:
                var shape = t.Shape?.Select(d => d.Value ?? 1).ToArray() ?? [1];
                return RandomTensor(t.ElementType == DataType.Undefined ? DataType.Float : t.ElementType, shape, random, ref total);
            case SequenceTypeInfo { ElementType: TensorTypeInfo et }:
                if (RandomValue(et, random, ref total) is not Tensor item)
                    return null;
                return new TensorSequence(item.DataType, [item]);
            case OptionalTypeInfo o:
                return o.ElementType is null ? new OptionalValue(null) : RandomValue(o.ElementType, random, ref total);
            default:
                return null;
        }
    }

    private static Tensor? RandomTensor(DataType type, long[] dims, Random random, ref long total)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0 || d > MaxInputElements)
                return null;
            n *= d;
            if (n > MaxInputElements)
                return null;
        }
        total += n;
        if (total > MaxInputElements || type is DataType.Complex64 or DataType.Complex128)
            return null;
        int[] shape = dims.Select(d => (int)d).ToArray();
        Tensor t;
        try
        {
            t = Tensor.Create(type, shape);
        }
        catch (NotSupportedException)
        {
            return null;
        }
        switch (t)
        {
            case Tensor<float> f: for (int i = 0; i < f.Length; ++i) f[i] = (float)(random.NextDouble() * 2 - 1); break;
            case Tensor<double> f: for (int i = 0; i < f.Length; ++i) f[i] = random.NextDouble() * 2 - 1; break;
            case Tensor<Half> f: for (int i = 0; i < f.Length; ++i) f[i] = (Half)(random.NextDouble() * 2 - 1); break;
            case Tensor<BFloat16> f: for (int i = 0; i < f.Length; ++i) f[i] = (BFloat16)(float)(random.NextDouble() * 2 - 1); break;
            case Tensor<long> f: for (int i = 0; i < f.Length; ++i) f[i] = random.Next(0, 3); break;
            case Tensor<int> f: for (int i = 0; i < f.Length; ++i) f[i] = random.Next(0, 3); break;
            case Tensor<bool> f: for (int i = 0; i < f.Length; ++i) f[i] = random.Next(2) == 1; break;
            case Tensor<string> f: for (int i = 0; i < f.Length; ++i) f[i] = random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture); break;
            case Tensor<byte> f: if (type == DataType.UInt8) random.NextBytes(f.Span); break;
            case Tensor<sbyte> f: if (type == DataType.Int8) for (int i = 0; i < f.Length; ++i) f[i] = (sbyte)random.Next(-3, 3); break;
        }
        return t;
    }
}
