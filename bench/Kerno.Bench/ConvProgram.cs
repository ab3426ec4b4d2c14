namespace Kerno.Bench;

/// <summary>
/// Entry point while Kerno.Bench has only the conv subcommand on this branch. When this project meets the
/// SGEMM branch's Kerno.Bench (its Program.Main dispatching gemm/peak), keep that Main and add
/// <c>"conv" =&gt; ConvBench.Run(args.Skip(1).ToArray())</c> to its switch; then delete this file.
/// </summary>
internal static class ConvProgram
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "conv")
            return ConvBench.Run(args.Skip(1).ToArray());
        Console.Error.WriteLine(ConvBench.UsageText);
        return 2;
    }
}
