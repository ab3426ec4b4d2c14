using System.Text.Json;
using System.Xml.Linq;
using Google.Protobuf;
using Kerno.Cli;
using Kerno.Cli.Commands;
using Kerno.Tests.Reliability;

namespace Kerno.Tests.Cli;

/// <summary>The pictures the kerno command draws: bench and profile charts (ScottPlot), the optimized graph as DOT.</summary>
[NonParallelizable]
public class PictureTests
{
    private string dir = "";
    private string model = "";

    [SetUp]
    public void SetUp()
    {
        dir = Directory.CreateTempSubdirectory("kerno-pictures-").FullName;
        // Conv -> BatchNormalization -> Relu -> pools: the optimizer folds and fuses, so the graph shows a fused node.
        model = Path.Combine(dir, "tiny-cnn.onnx");
        File.WriteAllBytes(model, SmallModels.Cnn().ToByteArray());
    }

    [TearDown]
    public void TearDown()
    {
        Graphviz.DotOverride = null;
        Directory.Delete(dir, recursive: true);
    }

    private static (int Code, string Out, string Err) Kerno(params string[] args) => KernoCommand.Run(args);

    /// <summary>Parses <paramref name="path"/> as XML and returns its text (an SVG whose root is svg with a size).</summary>
    private static string ReadSvg(string path)
    {
        Assert.That(new FileInfo(path).Length, Is.GreaterThan(500), path);
        XDocument svg = XDocument.Load(path);
        Assert.That(svg.Root!.Name.LocalName, Is.EqualTo("svg"));
        // ScottPlot writes pixels ("640"), Graphviz points ("409pt").
        string width = svg.Root.Attribute("width")!.Value;
        Assert.That(double.Parse(width.EndsWith("pt") ? width[..^2] : width, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(100));
        return File.ReadAllText(path);
    }

    [Test]
    public void BenchPlotDrawsEveryModelAndThreadCount()
    {
        string svg = Path.Combine(dir, "bench.svg");
        var (code, stdout, err) = Kerno("bench", model, "--threads", "1,2", "--runs", "3", "--warmup", "1", "--compare", "onnxruntime", "--plot", svg);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain($"chart written to {svg}").And.Contain("1 thread(s)").And.Contain("2 thread(s)"));
        string text = ReadSvg(svg);
        Assert.That(text, Does.Contain("tiny-cnn").And.Contain("1 thread").And.Contain("2 threads").And.Contain("ONNX Runtime").And.Contain("Kerno"));
    }

    [Test]
    public void BenchPlotAsPngWithoutComparison()
    {
        string png = Path.Combine(dir, "bench.png");
        var (code, _, err) = Kerno("bench", model, model, "--threads", "1", "--runs", "2", "--warmup", "0", "--plot", png);
        Assert.That(code, Is.EqualTo(0), err);
        byte[] bytes = File.ReadAllBytes(png);
        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }));
    }

    [Test]
    public void BenchJsonOnStdoutIsAnArrayForSeveralRuns()
    {
        var (code, stdout, err) = Kerno("bench", model, "--threads", "1,2", "--runs", "2", "--warmup", "0", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.GetArrayLength(), Is.EqualTo(2));
        Assert.That(doc.RootElement[1].GetProperty("threads").GetInt32(), Is.EqualTo(2));
        Assert.That(doc.RootElement[0].GetProperty("kerno").GetProperty("medianMs").GetDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void BenchCreationTimesASecondSessionOfEachEngineAndListsThePhases()
    {
        var (code, stdout, err) = Kerno("bench", model, "--threads", "1", "--runs", "1", "--warmup", "0", "--compare", "onnxruntime", "--creation", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        JsonElement creation = doc.RootElement.GetProperty("creation");
        Assert.That(creation.GetProperty("kerno").GetProperty("secondMs").GetDouble(), Is.GreaterThan(0));
        Assert.That(creation.GetProperty("onnxruntime").GetProperty("secondCpuMs").GetDouble(), Is.GreaterThanOrEqualTo(0));
        var phases = creation.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()).ToList();
        Assert.That(phases, Does.Contain("load").And.Contain("optimize").And.Contain("native").And.Contain("optimize: FoldConstants"));
    }

    [Test]
    public void BadPlotFileAndThreadListAreUsageErrorsBeforeAnyWork()
    {
        var (code, _, err) = Kerno("bench", model, "--plot", Path.Combine(dir, "chart.pdf"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo($"error: --plot: expected a file ending in .svg or .png, got '{Path.Combine(dir, "chart.pdf")}'"));
        (code, _, err) = Kerno("bench", model, "--threads", "1,x");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo("error: --threads: expected a thread count or a comma-separated list such as 1,2,4, got '1,x'"));
        (code, _, err) = Kerno("profile", model, "--plot", Path.Combine(dir, "no-such-folder", "ops.svg"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.StartWith("error: --plot: the folder of"));
    }

    [Test]
    public void ProfilePlotShowsTheOperators()
    {
        string svg = Path.Combine(dir, "ops.svg");
        var (code, stdout, err) = Kerno("profile", model, "--threads", "1", "--runs", "3", "--warmup", "1", "--plot", svg);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain("by operator:").And.Contain($"chart written to {svg}"));
        string text = ReadSvg(svg);
        Assert.That(text, Does.Contain("tiny-cnn").And.Contain("kerno.FusedConv").And.Contain("MaxPool").And.Contain("%"));
    }

    [Test]
    public void ProfileJsonOnStdout()
    {
        var (code, stdout, err) = Kerno("profile", model, "--threads", "1", "--runs", "2", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        JsonElement byOp = doc.RootElement.GetProperty("byOpType");
        Assert.That(byOp.EnumerateArray().Select(o => o.GetProperty("opType").GetString()), Does.Contain("MaxPool"));
        Assert.That(byOp.EnumerateArray().Sum(o => o.GetProperty("percent").GetDouble()), Is.EqualTo(100).Within(0.1));
    }

    [Test]
    public void InspectDotNamesTheOpsKernelsAndFusions()
    {
        string dot = Path.Combine(dir, "graph.dot");
        var (code, stdout, err) = Kerno("inspect", model, "--dot", dot);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain($"graph written to {dot}"));
        string text = File.ReadAllText(dot);
        Assert.That(text, Does.StartWith("digraph kerno {").And.EndWith("}\n"));
        // BatchNormalization is folded into the Conv and the Relu fused: one fused node, named for what it replaces.
        Assert.That(text, Does.Contain("<b>FusedConv (Conv+Relu)</b>").And.Contain("<b>MaxPool</b>").And.Contain("<b>GlobalAveragePool</b>")
            .And.Contain("[1,4,8,8]").And.Contain("\"in:X\" -> n0").And.Not.Contain("BatchNormalization"));
    }

    [Test]
    public void InspectDotRenderingIsSkippedWithAHintWithoutGraphviz()
    {
        Graphviz.DotOverride = Path.Combine(dir, "no-graphviz", "dot");
        string svg = Path.Combine(dir, "graph.svg"), dot = Path.Combine(dir, "graph.dot");
        var (code, stdout, err) = Kerno("inspect", model, "--dot", svg);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain($"graph written to {dot}")
            .And.Contain($"not rendered: Graphviz 'dot' is not installed (apt-get install graphviz); then: dot -Tsvg {dot} -o {svg}"));
        Assert.That(File.Exists(dot), Is.True);
        Assert.That(File.Exists(svg), Is.False);
    }

    [Test]
    public void InspectDotRendersWithGraphvizWhenInstalled()
    {
        string dot = Path.Combine(dir, "graph.dot"), svg = Path.Combine(dir, "graph.svg");
        var (code, stdout, err) = Kerno("inspect", model, "--dot", dot, "--render");
        Assert.That(code, Is.EqualTo(0), err);
        if (Graphviz.FindDot() is null)
        {
            // Graphviz is optional (scripts/setup.sh): without it the same command says how to render.
            Assert.That(stdout, Does.Contain("not rendered: Graphviz 'dot' is not installed"));
            return;
        }
        Assert.That(stdout, Does.Contain($"graph rendered to {svg}"));
        Assert.That(ReadSvg(svg), Does.Contain("FusedConv (Conv+Relu)"));
    }

    [Test]
    public void InspectJsonListsTheKernels()
    {
        var (code, stdout, err) = Kerno("inspect", model, "--optimized", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("op").GetString()), Does.Contain("kerno.FusedConv"));
    }
}
