namespace Kerno.Testing;

/// <summary>Outcome of one conformance test.</summary>
public enum ConformanceStatus
{
    /// <summary>Every output of every data set matched.</summary>
    Pass,
    /// <summary>An output differed, or loading or running failed.</summary>
    Fail,
    /// <summary>Not run: the model needs something Kerno does not support (the reason names it).</summary>
    Skip,
}

/// <summary>The result of one ONNX backend test folder.</summary>
/// <param name="Name">Test folder name, e.g. <c>test_abs</c>.</param>
/// <param name="Path">Full path of the test folder.</param>
/// <param name="Status">Pass, fail or skip.</param>
/// <param name="Message">Why it failed or was skipped (null on pass).</param>
/// <param name="MaxAbsError">Largest absolute error over all float outputs.</param>
/// <param name="MaxRelError">Largest relative error over all float outputs.</param>
/// <param name="Elapsed">Wall time for loading and running.</param>
/// <param name="UnsupportedOperators">For skips: the operators without an implementation.</param>
public sealed record ConformanceResult(
    string Name,
    string Path,
    ConformanceStatus Status,
    string? Message,
    double MaxAbsError,
    double MaxRelError,
    TimeSpan Elapsed,
    IReadOnlyList<string> UnsupportedOperators);
