using System.CommandLine;
using Kerno.Cli.Commands;

namespace Kerno.Cli;

internal static class Program
{
    internal static int Main(string[] args)
    {
        var root = new RootCommand("kerno: an ONNX inference engine for .NET with hand-written native kernels.")
        {
            InfoCommand.Create(),
            TestOnnxCommand.Create(),
            BenchCommand.Create(),
            ProfileCommand.Create(),
            RunCommand.Create(),
            InspectCommand.Create(),
            TuneCommand.Create(),
            DemoCommand.Create(),
            CompletionCommand.Create(),
        };
        return Cli.Invoke(root, args);
    }
}
