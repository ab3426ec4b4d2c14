using Google.Protobuf;
using Kerno.Onnx;
using Kerno.Onnx.Proto;

namespace Kerno.Tests.Onnx;

public class TensorReaderTests
{
    private static Tensor Read(TensorProto p) => TensorReader.ReadTensor(p.ToByteArray());

    private static TensorProto Proto(DataType type, params long[] dims)
    {
        var p = new TensorProto { DataType = (int)type };
        p.Dims.AddRange(dims);
        return p;
    }

    [Test]
    public void Int4IsUnpackedAndSignExtended()
    {
        TensorProto p = Proto(DataType.Int4, 3);
        p.RawData = ByteString.CopyFrom(0xF7, 0x08); // elements 7, -1, -8
        var t = (Tensor<sbyte>)Read(p);
        Assert.That(t.Span.ToArray(), Is.EqualTo(new sbyte[] { 7, -1, -8 }));
        Assert.That(t.DataType, Is.EqualTo(DataType.Int4));
    }

    [Test]
    public void UInt4FromInt32DataIsUnpacked()
    {
        TensorProto p = Proto(DataType.UInt4, 3);
        p.Int32Data.AddRange([0x21, 0x03]);
        Assert.That(((Tensor<byte>)Read(p)).Span.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void Float16AndBFloat16BitsComeFromInt32Data()
    {
        TensorProto h = Proto(DataType.Float16, 1);
        h.Int32Data.Add(0x3C00); // 1.0
        TensorProto b = Proto(DataType.BFloat16, 1);
        b.Int32Data.Add(0x4000); // 2.0
        Assert.Multiple(() =>
        {
            Assert.That((float)((Tensor<Half>)Read(h))[0], Is.EqualTo(1f));
            Assert.That((float)((Tensor<BFloat16>)Read(b))[0], Is.EqualTo(2f));
        });
    }

    [Test]
    public void TypedFieldsForEveryWideType()
    {
        TensorProto l = Proto(DataType.Int64, 2);
        l.Int64Data.AddRange([-1, long.MaxValue]);
        TensorProto u = Proto(DataType.UInt32, 1);
        u.Uint64Data.Add(uint.MaxValue);
        TensorProto d = Proto(DataType.Double, 1);
        d.DoubleData.Add(0.25);
        TensorProto s = Proto(DataType.String, 2);
        s.StringData.Add(ByteString.CopyFromUtf8("a"));
        s.StringData.Add(ByteString.CopyFromUtf8("βγ"));
        TensorProto bo = Proto(DataType.Bool, 2);
        bo.Int32Data.AddRange([0, 1]);
        Assert.Multiple(() =>
        {
            Assert.That(((Tensor<long>)Read(l)).Span.ToArray(), Is.EqualTo(new[] { -1, long.MaxValue }));
            Assert.That(((Tensor<uint>)Read(u))[0], Is.EqualTo(uint.MaxValue));
            Assert.That(((Tensor<double>)Read(d))[0], Is.EqualTo(0.25));
            Assert.That(((Tensor<string>)Read(s)).Span.ToArray(), Is.EqualTo(new[] { "a", "βγ" }));
            Assert.That(((Tensor<bool>)Read(bo)).Span.ToArray(), Is.EqualTo(new[] { false, true }));
        });
    }

    [Test]
    public void RawDataIsLittleEndian()
    {
        TensorProto p = Proto(DataType.Int32, 2);
        p.RawData = ByteString.CopyFrom(1, 0, 0, 0, 0, 1, 0, 0);
        Assert.That(((Tensor<int>)Read(p)).Span.ToArray(), Is.EqualTo(new[] { 1, 256 }));
    }

    [Test]
    public void EmptyTensorNeedsNoData() =>
        Assert.That(Read(Proto(DataType.Float, 0, 3)).Length, Is.EqualTo(0));

    [Test]
    public void MissingDataIsReported() =>
        Assert.That(Assert.Throws<KernoModelException>(() => Read(Proto(DataType.Float, 2)))!.Message, Does.Contain("float_data has 0 values"));

    [Test]
    public void StringsInRawDataAreRejected()
    {
        TensorProto p = Proto(DataType.String, 1);
        p.RawData = ByteString.CopyFrom(65);
        Assert.Throws<KernoModelException>(() => Read(p));
    }
}
