using System.Diagnostics;

namespace Kerno.Execution;

/// <summary>
/// Where session creation spends its time: wall and calling-thread CPU milliseconds per phase (load, shape
/// inference, each optimizer pass, folding, kernel selection and packing per operator, planning), summed over
/// repeats of a phase. The session under construction owns one (<see cref="InferenceSession.CreationTimings"/>);
/// code deep in creation adds to it through <see cref="Measure"/> (phases nest: a name's sub-phases are prefixed with it), which costs nothing when no session is being
/// timed on this thread. <c>kerno bench --phases</c> prints it.
/// </summary>
internal sealed class CreationTimings
{
    [ThreadStatic]
    private static CreationTimings? current;

    private readonly List<string> order = new();
    private readonly Dictionary<string, (double Wall, double Cpu, int Count)> phases = new(StringComparer.Ordinal);

    /// <summary>The phases in first-seen order: name, wall ms, thread CPU ms, how many times it ran.</summary>
    public IEnumerable<(string Phase, double WallMs, double CpuMs, int Count)> Phases =>
        order.Select(p => (p, phases[p].Wall, phases[p].Cpu, phases[p].Count));

    /// <summary>The collector of the session being created on this thread, if any.</summary>
    public static CreationTimings? Current => current;

    /// <summary>Starts timing a session's creation on the calling thread (until <see cref="End"/>).</summary>
    public static CreationTimings Begin() => current = new CreationTimings();

    /// <summary>Stops timing on the calling thread.</summary>
    public static void End() => current = null;

    /// <summary>Times <paramref name="phase"/> until the scope is disposed (nothing happens when no session is timed).</summary>
    public static Scope Measure(string phase) => current is { } c ? new Scope(c, phase) : default;

    // Listed in the order phases start, so a phase comes before its sub-phases.
    private void Start(string phase)
    {
        if (phases.TryAdd(phase, default))
            order.Add(phase);
    }

    private void Add(string phase, double wallMs, double cpuMs)
    {
        var t = phases[phase];
        phases[phase] = (t.Wall + wallMs, t.Cpu + cpuMs, t.Count + 1);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly CreationTimings? owner;
        private readonly string phase;
        private readonly long wall, cpu;

        internal Scope(CreationTimings owner, string phase)
        {
            this.owner = owner;
            this.phase = phase;
            owner.Start(phase);
            wall = Stopwatch.GetTimestamp();
            cpu = ThreadCpuClock.Now();
        }

        public void Dispose()
        {
            if (owner is null)
                return;
            double toMs = 1000.0 / Stopwatch.Frequency;
            owner.Add(phase, (Stopwatch.GetTimestamp() - wall) * toMs, (ThreadCpuClock.Now() - cpu) * toMs);
        }
    }
}
