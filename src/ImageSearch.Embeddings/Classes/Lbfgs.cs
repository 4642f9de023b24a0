namespace ImageSearch;

/// <summary>Limited-memory BFGS with Armijo backtracking; deterministic, single-threaded.</summary>
internal static class Lbfgs
{
    /// <summary>Objective: returns f(x) and writes the gradient.</summary>
    public delegate double Objective(double[] x, double[] gradient);

    /// <summary>Minimises <paramref name="f"/> from <paramref name="x"/> (updated in place); returns iterations used.</summary>
    public static int Minimize(Objective f, double[] x, int maxIterations, int history, double tolerance)
    {
        int n = x.Length;
        var g = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        var dir = new double[n];
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        var alpha = new double[history];
        double fx = f(x, g);
        int iter = 0;
        for (; iter < maxIterations; iter++)
        {
            if (MaxAbs(g) <= tolerance)
            {
                break;
            }

            // Two-loop recursion: dir = -H g.
            Array.Copy(g, dir, n);
            for (int i = s.Count - 1; i >= 0; i--)
            {
                alpha[i] = rho[i] * Dot(s[i], dir);
                Axpy(-alpha[i], y[i], dir);
            }

            double gamma = s.Count > 0 ? Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]) : 1 / Math.Max(1, Math.Sqrt(Dot(g, g)));
            for (int i = 0; i < n; i++)
            {
                dir[i] *= gamma;
            }

            for (int i = 0; i < s.Count; i++)
            {
                double beta = rho[i] * Dot(y[i], dir);
                Axpy(alpha[i] - beta, s[i], dir);
            }

            for (int i = 0; i < n; i++)
            {
                dir[i] = -dir[i];
            }

            double slope = Dot(g, dir);
            if (slope >= 0)
            {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                s.Clear();
                y.Clear();
                rho.Clear();
                for (int i = 0; i < n; i++)
                {
                    dir[i] = -g[i];
                }

                slope = Dot(g, dir);
            }

            double step = 1, fNew = double.NaN;
            bool accepted = false;
            for (int tries = 0; tries < 40; tries++)
            {
                for (int i = 0; i < n; i++)
                {
                    xNew[i] = x[i] + (step * dir[i]);
                }

                fNew = f(xNew, gNew);
                if (double.IsFinite(fNew) && fNew <= fx + (1e-4 * step * slope))
                {
                    accepted = true;
                    break;
                }

                step *= 0.5;
            }

            if (!accepted)
            {
                break;
            }

            var sk = new double[n];
            var yk = new double[n];
            for (int i = 0; i < n; i++)
            {
                sk[i] = xNew[i] - x[i];
                yk[i] = gNew[i] - g[i];
            }

            double sy = Dot(sk, yk);
            if (sy > 1e-12)
            {
                if (s.Count == history)
                {
                    s.RemoveAt(0);
                    y.RemoveAt(0);
                    rho.RemoveAt(0);
                }

                s.Add(sk);
                y.Add(yk);
                rho.Add(1 / sy);
            }

            double improvement = fx - fNew;
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            fx = fNew;
            if (improvement <= 1e-12 * Math.Max(1, Math.Abs(fx)))
            {
                iter++;
                break;
            }
        }

        return iter;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    private static double MaxAbs(double[] v)
    {
        double m = 0;
        foreach (double e in v)
        {
            m = Math.Max(m, Math.Abs(e));
        }

        return m;
    }
}
