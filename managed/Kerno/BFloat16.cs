namespace Kerno;

/// <summary>
/// The bfloat16 format: the upper 16 bits of an IEEE float32. Conversion from float rounds to nearest even
/// (NaN stays NaN); arithmetic is done in float.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>The raw bit pattern.</summary>
    public ushort Bits { get; }

    private BFloat16(ushort bits) => Bits = bits;

    /// <summary>Makes a value from its raw bits.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>Rounds a float to the nearest bfloat16 (ties to even).</summary>
    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return new BFloat16((ushort)((bits >> 16) | 0x0040));
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return new BFloat16((ushort)((bits + rounding) >> 16));
    }

    /// <summary>Widens exactly to float.</summary>
    public static implicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.Bits << 16);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => Bits == other.Bits;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Bits;

    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
