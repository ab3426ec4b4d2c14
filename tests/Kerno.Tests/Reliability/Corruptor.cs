namespace Kerno.Tests.Reliability;

/// <summary>The kinds of damage <see cref="Corruptor"/> does to a serialized model.</summary>
public enum CorruptionKind
{
    /// <summary>The file is cut short at a random position.</summary>
    Truncate,
    /// <summary>1 to 8 random bits flipped anywhere (mostly weights in a real model).</summary>
    BitFlip,
    /// <summary>Random bits flipped in the structural bytes only (tags, varints, length prefixes), not in raw payloads.</summary>
    StructuralBitFlip,
    /// <summary>A length prefix of a length-delimited field overwritten (0, off by a little, huge, or random bytes).</summary>
    LengthPrefix,
    /// <summary>A varint field's value overwritten (dims, types, attribute ints, data types).</summary>
    Varint,
}

/// <summary>
/// Damages serialized ONNX models deterministically (a seeded <see cref="Random"/>). Besides blind truncation
/// and bit flips it knows protobuf's wire format: it finds the tags, varints and length prefixes of every
/// nested message so it can aim at them, which reaches the validators instead of only the weights.
/// </summary>
public sealed class Corruptor
{
    private readonly byte[] original;
    private readonly List<(int Start, int Length)> lengthPrefixes = new();
    private readonly List<(int Start, int Length)> varints = new();
    private readonly List<int> structural = new();

    public Corruptor(byte[] model)
    {
        original = model;
        Scan(0, model.Length, 0);
    }

    /// <summary>Length prefixes found (for tests of the scanner).</summary>
    public int LengthPrefixCount => lengthPrefixes.Count;

    /// <summary>Varint values found.</summary>
    public int VarintCount => varints.Count;

    /// <summary>A damaged copy of the model.</summary>
    public byte[] Corrupt(CorruptionKind kind, Random random)
    {
        byte[] b = (byte[])original.Clone();
        switch (kind)
        {
            case CorruptionKind.Truncate:
                return b.AsSpan(0, random.Next(0, Math.Max(1, b.Length))).ToArray();
            case CorruptionKind.BitFlip:
                for (int i = random.Next(1, 9); i > 0; --i)
                    b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                return b;
            case CorruptionKind.StructuralBitFlip:
                if (structural.Count == 0)
                    goto case CorruptionKind.BitFlip;
                for (int i = random.Next(1, 4); i > 0; --i)
                    b[structural[random.Next(structural.Count)]] ^= (byte)(1 << random.Next(8));
                return b;
            case CorruptionKind.LengthPrefix:
                if (lengthPrefixes.Count == 0)
                    goto case CorruptionKind.BitFlip;
                return Overwrite(b, lengthPrefixes[random.Next(lengthPrefixes.Count)], random, isLength: true);
            case CorruptionKind.Varint:
                if (varints.Count == 0)
                    goto case CorruptionKind.BitFlip;
                return Overwrite(b, varints[random.Next(varints.Count)], random, isLength: false);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Replaces the varint at <paramref name="at"/> with another value (re-encoded: the file may grow or shrink).</summary>
    private static byte[] Overwrite(byte[] b, (int Start, int Length) at, Random random, bool isLength)
    {
        ulong old = ReadVarint(b, at.Start, out _);
        ulong value = random.Next(8) switch
        {
            0 => 0,
            1 => old + 1,
            2 => old == 0 ? 1 : old - 1,
            3 => old + (ulong)random.Next(2, 64),
            4 => (ulong)random.NextInt64(0, 1L << 31),
            5 => ulong.MaxValue - (ulong)random.Next(16), // negative when read as int64
            6 => (1UL << random.Next(8, 63)),
            _ => (ulong)random.Next(0, 300),
        };
        if (!isLength && random.Next(4) == 0)
        {
            // Same length, random bytes (keeps the continuation bits so the framing stays intact).
            for (int i = 0; i < at.Length; ++i)
                b[at.Start + i] = (byte)((random.Next(128)) | (i < at.Length - 1 ? 0x80 : 0));
            return b;
        }
        var encoded = new List<byte>();
        do
        {
            byte next = (byte)(value & 0x7f);
            value >>= 7;
            encoded.Add(value != 0 ? (byte)(next | 0x80) : next);
        } while (value != 0);
        var result = new byte[b.Length - at.Length + encoded.Count];
        b.AsSpan(0, at.Start).CopyTo(result);
        encoded.ToArray().CopyTo(result, at.Start);
        b.AsSpan(at.Start + at.Length).CopyTo(result.AsSpan(at.Start + encoded.Count));
        return result;
    }

    private static ulong ReadVarint(byte[] b, int pos, out int length)
    {
        ulong v = 0;
        int shift = 0;
        length = 0;
        while (pos + length < b.Length && length < 10)
        {
            byte x = b[pos + length++];
            v |= (ulong)(x & 0x7f) << shift;
            if ((x & 0x80) == 0)
                return v;
            shift += 7;
        }
        length = -1;
        return 0;
    }

    /// <summary>
    /// Walks [start, end) as protobuf fields. Returns false when the bytes are not a well-formed message
    /// (then the caller treats them as an opaque payload). Nested payloads that parse as messages are walked too.
    /// </summary>
    private bool Scan(int start, int end, int depth)
    {
        if (depth > 40)
            return false;
        var found = new List<(int, int, char)>();
        var nested = new List<(int, int)>();
        int pos = start;
        while (pos < end)
        {
            int tagStart = pos;
            ulong tag = ReadVarint(original, pos, out int tagLen);
            if (tagLen <= 0 || pos + tagLen > end || tag >> 3 == 0 || tag >> 3 > 1000)
                return false;
            pos += tagLen;
            found.Add((tagStart, tagLen, 's'));
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(original, pos, out int vLen);
                    if (vLen <= 0 || pos + vLen > end)
                        return false;
                    found.Add((pos, vLen, 'v'));
                    pos += vLen;
                    break;
                case 1:
                    pos += 8;
                    break;
                case 5:
                    pos += 4;
                    break;
                case 2:
                    ulong len = ReadVarint(original, pos, out int lLen);
                    if (lLen <= 0 || len > (ulong)(end - pos - lLen))
                        return false;
                    found.Add((pos, lLen, 'l'));
                    pos += lLen;
                    nested.Add((pos, (int)len));
                    pos += (int)len;
                    break;
                default:
                    return false;
            }
            if (pos > end)
                return false;
        }
        foreach ((int s, int l, char k) in found)
        {
            for (int i = 0; i < l; ++i)
                structural.Add(s + i);
            if (k == 'v')
                varints.Add((s, l));
            else if (k == 'l')
                lengthPrefixes.Add((s, l));
        }
        // Small payloads that look like messages are walked (strings and raw weights usually fail the walk).
        foreach ((int s, int l) in nested)
            if (l > 0 && l < 1 << 20 || depth < 3)
                Scan(s, s + l, depth + 1);
        return true;
    }
}
