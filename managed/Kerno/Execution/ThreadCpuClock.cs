using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kerno.Execution;

/// <summary>
/// The calling thread's CPU time (Linux / macOS <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>), in
/// <see cref="Stopwatch"/> ticks so it can stand in for <see cref="Stopwatch.GetTimestamp"/>. Time the thread
/// spends preempted by other processes does not count, which is what makes single-threaded measurements on a
/// shared machine repeatable (kerno tune).
/// </summary>
internal static partial class ThreadCpuClock
{
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec time);

    /// <summary>True when the clock can be read here.</summary>
    public static bool IsAvailable { get; } = Probe();

    private static bool Probe()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
            return false;
        try
        {
            return ClockGettime(ThreadClockId, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static int ThreadClockId => OperatingSystem.IsMacOS() ? 16 : 3;

    /// <summary>Thread CPU time in seconds, for benchmarks that asked for CPU time: throws where the clock cannot be
    /// read rather than hand back wall time.</summary>
    public static double Seconds()
    {
        if (!IsAvailable || ClockGettime(ThreadClockId, out Timespec t) != 0)
            throw new PlatformNotSupportedException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) is not available here");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    /// <summary>Thread CPU time in Stopwatch ticks (wall time where the clock is unavailable).</summary>
    public static long Now()
    {
        if (!IsAvailable || ClockGettime(ThreadClockId, out Timespec t) != 0)
            return Stopwatch.GetTimestamp();
        return (long)((t.Seconds + t.Nanoseconds * 1e-9) * Stopwatch.Frequency);
    }
}
