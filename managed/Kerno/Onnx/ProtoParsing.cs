using Google.Protobuf;

namespace Kerno.Onnx;

/// <summary>Parses protobuf messages, turning every parser failure into a <see cref="KernoModelException"/>.</summary>
internal static class ProtoParsing
{
    public static T Parse<T>(MessageParser<T> parser, ReadOnlySpan<byte> bytes, string what) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new KernoModelException($"{what}: not a valid ONNX protobuf ({e.Message})", e);
        }
        catch (Exception e) when (e is ArgumentException or OverflowException or IndexOutOfRangeException or InvalidOperationException or OutOfMemoryException)
        {
            throw new KernoModelException($"{what}: could not be parsed ({e.Message})", e);
        }
    }
}
