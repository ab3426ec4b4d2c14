namespace Kerno.Optimizer.Passes;

/// <summary>The operator domain of Kerno's own fused nodes (they have reference implementations too).</summary>
public static class FusedOps
{
    /// <summary>Domain name of fused operators.</summary>
    public const string Domain = "kerno";
}
