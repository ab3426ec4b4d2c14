using Kerno.Reference.Numerics;

namespace Kerno.Tests.Reference.Mathematics;

public class SpecialFunctionsTests
{
    [TestCase(0.1, 0.1124629160182849)]
    [TestCase(0.5, 0.5204998778130465)]
    [TestCase(1.0, 0.8427007929497149)]
    [TestCase(2.0, 0.9953222650189527)]
    [TestCase(2.4999, 0.9995928300996627)]   // erf(2.5) - h erf'(2.5) + h²/2 erf''(2.5)
    [TestCase(2.5, 0.9995930479825550)]
    [TestCase(3.5, 0.9999992569016276)]
    public void ErfIsAccurate(double x, double expected)
    {
        Assert.That(SpecialFunctions.Erf(x), Is.EqualTo(expected).Within(1e-14));
        Assert.That(SpecialFunctions.Erf(-x), Is.EqualTo(-expected).Within(1e-14));
    }

    [TestCase(3.0, 2.209049699858544e-05)]
    [TestCase(5.0, 1.5374597944280349e-12)]
    [TestCase(10.0, 2.088487583762545e-45)]
    [TestCase(0.5, 0.4795001221869535)]
    [TestCase(-1.0, 1.8427007929497148)]
    [TestCase(-3.0, 1.9999779095030015)]
    public void ErfcKeepsRelativeAccuracy(double x, double expected) =>
        Assert.That(SpecialFunctions.Erfc(x), Is.EqualTo(expected).Within(1e-12).Percent);
}
