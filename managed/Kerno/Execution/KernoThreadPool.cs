using System.Diagnostics;

namespace Kerno.Execution;

/// <summary>Work split into independent items (GEMM tiles, image rows, ...), run by <see cref="KernoThreadPool.Run"/>.</summary>
internal interface IParallelWork
{
    /// <summary>Runs item <paramref name="index"/>; items of one job may run concurrently on different threads.</summary>
    void Execute(int index);
}

/// <summary>
/// The intra-op thread pool of one session: <see cref="Threads"/> - 1 dedicated workers plus the calling thread.
/// Workers spin briefly after a job (so back-to-back kernels do not pay a wake-up), then block on a monitor, so
/// an idle session costs no CPU. One job runs at a time: a second thread calling <see cref="Run"/> while a job
/// is in flight (concurrent <c>InferenceSession.Run</c>s) runs its items itself, serially, instead of waiting.
/// </summary>
internal sealed class KernoThreadPool : IDisposable
{
    /// <summary>How long an idle worker polls for the next job before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 us

    private readonly Thread[] workers;
    private readonly object gate = new();
    private int busy;          // 1 while a job owns the workers
    private int generation;    // bumped once per job (under gate)
    private int sleepers;      // workers blocked in Monitor.Wait
    private bool disposed;

    // The current job. Items are claimed with a CAS on `state` = (job generation << 32) | next item, so a worker that
    // wakes late (descheduled on a loaded machine) finds the job's items taken and never touches a newer job's
    // fields by mistake; the caller waits only for the items to be done, never for a sleeping worker.
    private IParallelWork? work;
    private int itemCount;
    private long state;
    private int done;
    private Exception? failure;

    public KernoThreadPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.Length; ++i)
        {
            workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"kerno-worker-{i + 1}" };
            workers[i].Start();
        }
    }

    /// <summary>Threads a job uses, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs items [0, <paramref name="count"/>) of <paramref name="job"/> on the workers and the calling thread and
    /// returns when all are done; rethrows the first exception an item threw. Never runs two jobs at once.
    /// </summary>
    public void Run(IParallelWork job, int count)
    {
        if (count <= 0)
            return;
        if (count == 1 || workers.Length == 0 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; ++i)
                job.Execute(i);
            return;
        }
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            int gen;
            lock (gate)
            {
                gen = ++generation;
                work = job;
                itemCount = count;
                done = 0;
                failure = null;
                Volatile.Write(ref state, (long)gen << 32);
                if (sleepers > 0)
                    Monitor.PulseAll(gate);
            }
            RunItems(gen);
            var spin = new SpinWait();
            while (Volatile.Read(ref done) < count)
                spin.SpinOnce(-1);
            work = null;
            if (failure is { } e)
                throw new AggregateException(e).InnerException!;
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    private void RunItems(int gen)
    {
        while (true)
        {
            long s = Volatile.Read(ref state);
            if ((int)(s >> 32) != gen || (int)s >= Volatile.Read(ref itemCount))
                return;
            if (Interlocked.CompareExchange(ref state, s + 1, s) != s)
                continue;
            // The item is ours and not done, so the job (and `work`) cannot change until we report it.
            try
            {
                work!.Execute((int)s);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            Interlocked.Increment(ref done);
        }
    }

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            // Spin for a moment: the next kernel of the same run usually follows within microseconds.
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref generation) == seen && !Volatile.Read(ref disposed) && Stopwatch.GetTimestamp() < until)
                Thread.SpinWait(20);
            lock (gate)
            {
                while (generation == seen && !disposed)
                {
                    ++sleepers;
                    Monitor.Wait(gate);
                    --sleepers;
                }
                if (disposed)
                    return;
                seen = generation;
            }
            RunItems(seen);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            Monitor.PulseAll(gate);
        }
        foreach (Thread t in workers)
            t.Join();
    }

    /// <summary>Physical cores available to this process (hyper-threads not counted); at least 1.</summary>
    public static int PhysicalCores { get; } = CountPhysicalCores();

    private static int CountPhysicalCores()
    {
        int logical = Environment.ProcessorCount;
        try
        {
            if (!OperatingSystem.IsLinux() || !Directory.Exists("/sys/devices/system/cpu"))
                return Math.Max(1, logical);
            var cores = new HashSet<(string, string)>();
            int cpus = 0;
            foreach (string dir in Directory.GetDirectories("/sys/devices/system/cpu", "cpu*"))
            {
                string topo = Path.Combine(dir, "topology");
                if (!File.Exists(Path.Combine(topo, "core_id")))
                    continue;
                if (File.Exists(Path.Combine(dir, "online")) && File.ReadAllText(Path.Combine(dir, "online")).Trim() == "0")
                    continue;
                ++cpus;
                string package = File.Exists(Path.Combine(topo, "physical_package_id")) ? File.ReadAllText(Path.Combine(topo, "physical_package_id")).Trim() : "0";
                cores.Add((package, File.ReadAllText(Path.Combine(topo, "core_id")).Trim()));
            }
            if (cores.Count == 0 || cpus == 0)
                return Math.Max(1, logical);
            // The process may be limited to fewer CPUs than the machine has (affinity, containers).
            int threadsPerCore = Math.Max(1, cpus / cores.Count);
            return Math.Clamp(logical / threadsPerCore, 1, cores.Count);
        }
        catch (IOException)
        {
            return Math.Max(1, logical);
        }
        catch (UnauthorizedAccessException)
        {
            return Math.Max(1, logical);
        }
    }
}
