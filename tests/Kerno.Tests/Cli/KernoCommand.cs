using Kerno.Cli;

namespace Kerno.Tests.Cli;

/// <summary>Runs the kerno command in process with its console output captured (tests using it are NonParallelizable:
/// the console is process-wide).</summary>
internal static class KernoCommand
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        TextWriter oldOut = Console.Out, oldErr = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = Program.Main(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}
