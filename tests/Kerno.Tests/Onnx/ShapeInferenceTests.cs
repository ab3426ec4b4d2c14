using Kerno.Graph;
using Kerno.Graph.ShapeInference;
using Kerno.Onnx;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Onnx;

public class ShapeInferenceTests
{
    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static string TypeOf(Model m, string name) => m.Graph.ValueTypes[name].ToString();

    [Test]
    public void ConvPoolAndSymbolicBatch()
    {
        var g = new GraphProto { Name = "g" };
        var x = Value("X", DataType.Float, 0, 3, 32, 32);
        x.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        g.Input.Add(x);
        g.Initializer.Add(RawTensor("W", DataType.Float, new byte[8 * 3 * 3 * 3 * 4], 8, 3, 3, 3));
        g.Output.Add(new ValueInfoProto { Name = "P" });
        g.Node.Add(Node("Conv", ["X", "W"], ["C"], "conv", "", Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)));
        g.Node.Add(Node("MaxPool", ["C"], ["P"], "pool", "", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
        Model m = ModelReader.Load(Model(g).Bytes());
        ShapeInferencer.Infer(m);
        Assert.Multiple(() =>
        {
            Assert.That(TypeOf(m, "C"), Is.EqualTo("tensor(float)[N,8,16,16]"));
            Assert.That(TypeOf(m, "P"), Is.EqualTo("tensor(float)[N,8,8,8]"));
        });
        var free = new Dictionary<string, long> { ["N"] = 4 };
        ShapeInferencer.Infer(m, free);
        Assert.That(TypeOf(m, "P"), Is.EqualTo("tensor(float)[4,8,8,8]"));
    }

    [Test]
    public void ConstantTooLargeToFoldStillHasItsType()
    {
        // Y = X * Constant([4420, 2]): the constant is over the folding limit, its type is still known (UltraFace's priors).
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 1, 4420, 2));
        g.Output.Add(new ValueInfoProto { Name = "Y" });
        var priors = new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = RawTensor("p", DataType.Float, new byte[4420 * 2 * 4], 4420, 2) };
        g.Node.Add(Node("Constant", [], ["P"], "priors", "", priors));
        g.Node.Add(Node("Mul", ["X", "P"], ["Y"]));
        Model m = ModelReader.Load(Model(g).Bytes());
        ShapeInferencer.Infer(m);
        Assert.Multiple(() =>
        {
            Assert.That(TypeOf(m, "P"), Is.EqualTo("tensor(float)[4420,2]"));
            Assert.That(TypeOf(m, "Y"), Is.EqualTo("tensor(float)[1,4420,2]"));
        });
    }

    [Test]
    public void ShapeComputationChainIsFoldedIntoReshape()
    {
        // Y = Reshape(X, Concat(Shape(X)[0:1], [-1])) : [2,3,4] -> [2,12]
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2, 3, 4));
        g.Output.Add(new ValueInfoProto { Name = "Y" });
        var minusOne = new TensorProto { Name = "m1", DataType = (int)DataType.Int64 };
        minusOne.Dims.Add(1);
        minusOne.Int64Data.Add(-1);
        g.Initializer.Add(minusOne);
        g.Node.Add(Node("Shape", ["X"], ["S"], "shape", "", new AttributeProto { Name = "end", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        g.Node.Add(Node("Concat", ["S", "m1"], ["T"], "concat", "", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 }));
        g.Node.Add(Node("Reshape", ["X", "T"], ["Y"], "reshape"));
        Model m = ModelReader.Load(Model(g).Bytes());
        ShapeInferencer.Infer(m);
        Assert.That(TypeOf(m, "Y"), Is.EqualTo("tensor(float)[2,12]"));
    }

    [Test]
    public void BroadcastingKeepsSymbols()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(SymbolicValue("A", DataType.Float, "B", "T"));
        g.Input.Add(Value("C", DataType.Float, 1));
        g.Output.Add(new ValueInfoProto { Name = "Y" });
        g.Node.Add(Node("Add", ["A", "C"], ["S"]));
        g.Node.Add(Node("Less", ["S", "C"], ["Y"]));
        Model m = ModelReader.Load(Model(g).Bytes());
        ShapeInferencer.Infer(m);
        Assert.That(TypeOf(m, "Y"), Is.EqualTo("tensor(bool)[B,T]"));
    }

    [Test]
    public void KnownShapeOverTheLimitIsRejected()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 1 << 16, 1));
        g.Input.Add(Value("Z", DataType.Float, 1, 1 << 16));
        g.Output.Add(new ValueInfoProto { Name = "Y" });
        g.Node.Add(Node("Mul", ["X", "Z"], ["Y"], "outer"));
        Model m = ModelReader.Load(Model(g).Bytes());
        var e = Assert.Throws<KernoModelException>(() => ShapeInferencer.Infer(m, null, new ModelLimits { MaxTensorElements = 1 << 20 }))!;
        Assert.That(e.Message, Does.Contain("MaxTensorElements").And.Contain("'outer'"));
    }

    /// <summary>Inferred output shapes must never contradict the expected outputs of the ONNX backend tests.</summary>
    [Test]
    public void InferenceAgreesWithOnnxTestData()
    {
        string? data = RepoPaths.DebianOnnxData;
        if (data is null)
            Assert.Ignore("Debian's ONNX test data is not installed");
        var wrong = new List<string>();
        int known = 0;
        foreach (string dir in new[] { "node", "pytorch-converted", "pytorch-operator" }.SelectMany(f => Directory.GetDirectories(Path.Combine(data, f))))
        {
            Model model;
            try
            {
                model = ModelReader.Load(Path.Combine(dir, "model.onnx"));
            }
            catch (KernoModelException)
            {
                continue;
            }
            // Forget declared output types, so only inference speaks.
            foreach (string k in model.Graph.ValueTypes.Keys.ToList())
                if (!model.Graph.Inputs.Any(i => i.Name == k))
                    model.Graph.ValueTypes.Remove(k);
            ShapeInferencer.Infer(model);
            for (int i = 0; i < model.Graph.Outputs.Count; ++i)
            {
                string file = Path.Combine(dir, "test_data_set_0", $"output_{i}.pb");
                if (!File.Exists(file) || model.Graph.Outputs[i].Type is not TensorTypeInfo)
                    continue;
                var actual = (Tensor)ValueReader.ReadFile(file, model.Graph.Outputs[i].Type);
                if (model.Graph.ValueTypes.GetValueOrDefault(model.Graph.Outputs[i].Name) is not TensorTypeInfo { Shape: { } shape } inferred)
                    continue;
                known++;
                bool bad = shape.Count != actual.Rank || shape.Where((d, k) => d.IsKnown && d.Value != actual.Shape[k]).Any()
                    // ONNX 1.12 test data stores bfloat16 outputs as uint16 bits.
                    || (inferred.ElementType != actual.DataType && !(inferred.ElementType == DataType.BFloat16 && actual.DataType == DataType.UInt16));
                if (bad)
                    wrong.Add($"{Path.GetFileName(dir)}: inferred {inferred}, actual {Tensor.FormatShape(actual.Shape)} {actual.DataType}");
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(wrong, Is.Empty);
            Assert.That(known, Is.GreaterThan(300), "inference should determine most outputs");
        });
    }
}
