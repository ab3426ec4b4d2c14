using System.Runtime.InteropServices;

namespace Kerno.Interop;

/// <summary>Safe helpers over <see cref="NativeMethods"/>: ABI check, status-to-exception translation, strings.</summary>
internal static unsafe class Native
{
    private static readonly Lazy<bool> AbiChecked = new(CheckAbi);

    /// <summary>Call before the first native computation: loads libkerno and checks its ABI version.</summary>
    internal static void EnsureLoaded() => _ = AbiChecked.Value;

    private static bool CheckAbi()
    {
        ValidateAbi(NativeMethods.kerno_abi_version(), NativeLibraryResolver.LoadedFrom);
        return true;
    }

    /// <summary>Throws unless <paramref name="abi"/> is an ABI version this assembly can call.</summary>
    internal static void ValidateAbi(uint abi, string? loadedFrom)
    {
        if (abi != NativeMethods.SupportedAbiVersion)
            throw new KernoNativeException(
                $"libkerno at '{loadedFrom}' has ABI version {abi}, but this Kerno assembly " +
                $"supports ABI version {NativeMethods.SupportedAbiVersion}. Use the native library from the same Kerno release.");
    }

    internal static string String(byte* utf8) => utf8 == null ? "" : Marshal.PtrToStringUTF8((IntPtr)utf8) ?? "";

    internal static string LastError() => String(NativeMethods.kerno_last_error());

    /// <summary>Throws the exception matching a non-zero kerno status, with the native message.</summary>
    internal static void Check(int status, string function)
    {
        if (status == NativeMethods.KERNO_OK)
            return;
        string message = $"{function}: {LastError()}";
        throw status switch
        {
            NativeMethods.KERNO_ERR_INVALID_ARGUMENT => new ArgumentException(message),
            NativeMethods.KERNO_ERR_OUT_OF_MEMORY => new OutOfMemoryException(message),
            NativeMethods.KERNO_ERR_UNSUPPORTED => new NotSupportedException(message),
            _ => new KernoNativeException(message),
        };
    }
}
