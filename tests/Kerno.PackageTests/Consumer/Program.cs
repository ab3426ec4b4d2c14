// Uses Kerno exactly as a package consumer would; exits non-zero when something is wrong.
using Kerno;

int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) failures++;
}

Console.WriteLine($"Kerno {KernoRuntimeInfo.ManagedVersion}, libkerno {KernoRuntimeInfo.NativeVersion} from {KernoRuntimeInfo.NativeLibraryPath}");
Check(KernoRuntimeInfo.AbiVersion == KernoRuntimeInfo.SupportedAbiVersion, "native ABI version is supported");
// --published: a RID-specific publish, which copies the package's runtimes/<rid>/native/ library into the app folder.
if (args.Contains("--published"))
    Check(Path.GetDirectoryName(KernoRuntimeInfo.NativeLibraryPath) == Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), "libkerno comes from the published app folder");
else
    Check(KernoRuntimeInfo.NativeLibraryPath?.Contains($"runtimes{Path.DirectorySeparatorChar}") == true, "libkerno comes from the package's runtimes/<rid>/native/");
Check(KernoRuntimeInfo.NativeVersion == KernoRuntimeInfo.ManagedVersion, "native and managed versions agree");
Console.WriteLine($"kernel set: {KernoRuntimeInfo.ActiveIsa}, CPU features: {KernoRuntimeInfo.CpuFeatures}");

// A model: y = Relu(MatMul(x, W) + b), written as ONNX bytes here so the package is all this test needs.
byte[] model = TinyModel.MatMulAddRelu(w: [1, -1, 2, 0.5f, -3, 1], b: [0.5f, -0.5f]);
using var session = new InferenceSession(model);
var x = new Tensor<float>([1f, 2f, 3f], 1, 3);
var y = session.Run(new Dictionary<string, Tensor> { ["x"] = x }).Single().AsTensor() as Tensor<float>;
// x*W = [1*1 + 2*2 + 3*(-3), 1*(-1) + 2*0.5 + 3*1] = [-4, 3]; + b = [-3.5, 2.5]; relu = [0, 2.5]
Check(y is not null && y.Span.SequenceEqual(new[] { 0f, 2.5f }), $"model output {y} is [0, 2.5]");
return failures == 0 ? 0 : 1;

/// <summary>Writes a minimal ONNX ModelProto with a hand-rolled protobuf encoder (field numbers from onnx.proto).</summary>
static class TinyModel
{
    public static byte[] MatMulAddRelu(float[] w, float[] b)
    {
        byte[] graph = Concat(
            Msg(1, Node(["x", "W"], ["m"], "MatMul")),
            Msg(1, Node(["m", "B"], ["a"], "Add")),
            Msg(1, Node(["a"], ["y"], "Relu")),
            Str(2, "tiny"),
            Msg(5, Initializer("W", [3, 2], w)),
            Msg(5, Initializer("B", [2], b)),
            Msg(11, ValueInfo("x", [1, 3])),
            Msg(12, ValueInfo("y", [1, 2])));
        byte[] opset = Concat(Str(1, ""), Varint(2, 17));
        return Concat(Varint(1, 8), Msg(8, opset), Msg(7, graph));
    }

    static byte[] Node(string[] inputs, string[] outputs, string op) =>
        Concat([.. inputs.Select(i => Str(1, i)), .. outputs.Select(o => Str(2, o)), Str(4, op)]);

    static byte[] Initializer(string name, long[] dims, float[] values) =>
        Concat([.. dims.Select(d => Varint(1, (ulong)d)), Varint(2, 1), Str(8, name),
            Bytes(9, values.SelectMany(BitConverter.GetBytes).ToArray())]);

    static byte[] ValueInfo(string name, long[] dims)
    {
        byte[] shape = Concat(dims.Select(d => Msg(1, Varint(1, (ulong)d))).ToArray());
        byte[] tensorType = Concat(Varint(1, 1), Msg(2, shape));
        return Concat(Str(1, name), Msg(2, Msg(1, tensorType)));
    }

    static byte[] Varint(int field, ulong v) => Concat(Key(field, 0), Raw(v));
    static byte[] Str(int field, string s) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(s));
    static byte[] Msg(int field, byte[] body) => Bytes(field, body);
    static byte[] Bytes(int field, byte[] body) => Concat(Key(field, 2), Raw((ulong)body.Length), body);
    static byte[] Key(int field, int wire) => Raw((ulong)(field << 3 | wire));

    static byte[] Raw(ulong v)
    {
        var bytes = new List<byte>();
        do { byte b7 = (byte)(v & 0x7f); v >>= 7; bytes.Add(v != 0 ? (byte)(b7 | 0x80) : b7); } while (v != 0);
        return bytes.ToArray();
    }

    static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
