namespace Kerno.Onnx;

/// <summary>Unpacks ONNX's packed sub-byte types (4-bit: two per byte, 2-bit: four per byte, low bits first).</summary>
internal static class SubByte
{
    /// <summary>Bytes needed to hold <paramref name="count"/> packed elements of <paramref name="bits"/> bits.</summary>
    public static long PackedBytes(long count, int bits) => (count * bits + 7) / 8;

    /// <summary>Unpacks destination.Length elements; signed types are sign-extended.</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, int bits, bool signed, Span<byte> destination)
    {
        int perByte = 8 / bits;
        int mask = (1 << bits) - 1;
        for (int i = 0; i < destination.Length; ++i)
        {
            int v = (packed[i / perByte] >> (i % perByte * bits)) & mask;
            if (signed && (v & (1 << (bits - 1))) != 0)
                v -= 1 << bits;
            destination[i] = unchecked((byte)v);
        }
    }

    /// <summary>True for the signed packed types.</summary>
    public static bool IsSigned(DataType type) => type is DataType.Int4 or DataType.Int2;
}
