namespace Kerno.Reference.Numerics;

/// <summary>Special functions .NET's <see cref="Math"/> lacks, accurate to about 1e-14 in double.</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126; // 2 / sqrt(pi)

    /// <summary>The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
            return x;
        double a = Math.Abs(x);
        if (a < 2.5)
            return ErfSeries(x);
        double r = 1 - ErfcContinuedFraction(a);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function erfc(x) = 1 - erf(x), without cancellation for large x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
            return x;
        if (x < 2.5)
            return 1 - (x > -2.5 ? ErfSeries(x) : -1 + ErfcContinuedFraction(-x));
        return ErfcContinuedFraction(x);
    }

    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)). For |x| < 2.5 the largest term is
    // below 20, so at most about two digits of double precision are lost to cancellation.
    private static double ErfSeries(double x)
    {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 100; ++n)
        {
            term *= -x2 / n;                // (-1)^n x^(2n+1) / n!
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                break;
        }
        return TwoOverSqrtPi * sum;
    }

    // Laplace's continued fraction, for x >= 2.5:
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...)))), evaluated from the tail.
    private static double ErfcContinuedFraction(double x)
    {
        if (double.IsPositiveInfinity(x))
            return 0;
        double f = x;
        for (int k = 80; k >= 1; --k)
            f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
