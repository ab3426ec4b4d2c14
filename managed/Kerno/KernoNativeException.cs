namespace Kerno;

/// <summary>The native kernel library failed or could not be used (missing, wrong ABI version, internal error).</summary>
public sealed class KernoNativeException : Exception
{
    /// <summary>Creates the exception with a message saying what failed.</summary>
    public KernoNativeException(string message) : base(message) { }
}
