namespace Kerno.Optimizer;

/// <summary>How much the graph optimizer does before planning (ONNX Runtime's levels).</summary>
public enum OptimizationLevel
{
    /// <summary>Run the graph as loaded.</summary>
    None = 0,
    /// <summary>Semantics-preserving clean-ups: constant folding, identity/dropout and dead-node removal.</summary>
    Basic = 1,
    /// <summary>Basic plus operator fusion: Conv+BatchNorm folding, bias/activation/residual fusion, transpose cancelling.</summary>
    Extended = 2,
    /// <summary>Everything, including layout changes.</summary>
    All = 3,
}
