using System.Runtime.InteropServices;

namespace Kerno.Bench;

/// <summary>Per-thread and per-process CPU clocks and context-switch counts (Linux).</summary>
internal static unsafe class Clocks
{
    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, long* usage);

    /// <summary>This thread's CPU time (CLOCK_THREAD_CPUTIME_ID, read by Kerno's own clock).</summary>
    public static double ThreadCpuSeconds() => Kerno.Execution.ThreadCpuClock.Seconds();

    // struct rusage on 64-bit Linux: ru_utime, ru_stime (2 longs each), then 14 longs; ru_nivcsw is the last.
    private static long* Rusage(int who, long* u)
    {
        if (GetRusage(who, u) != 0)
            throw new InvalidOperationException("getrusage failed");
        return u;
    }

    /// <summary>This thread's involuntary context switches (preemptions).</summary>
    public static long ThreadInvoluntarySwitches()
    {
        long* u = stackalloc long[18];
        return Rusage(1 /* RUSAGE_THREAD */, u)[17];
    }

    /// <summary>The process's CPU time (user + system, all threads) and involuntary context switches.</summary>
    public static (double Cpu, long Involuntary) ProcessCpu()
    {
        long* u = stackalloc long[18];
        Rusage(0 /* RUSAGE_SELF */, u);
        return (u[0] + u[1] * 1e-6 + u[2] + u[3] * 1e-6, u[17]);
    }
}
