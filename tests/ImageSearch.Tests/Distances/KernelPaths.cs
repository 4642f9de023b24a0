using System.Runtime.Intrinsics;

namespace ImageSearch.Tests.Distances;

/// <summary>Which implementation a test drives.</summary>
public enum KernelPath
{
    /// <summary>The portable scalar code.</summary>
    Scalar,

    /// <summary>The 256-bit kernels, called directly.</summary>
    Vector256,

    /// <summary>The 512-bit kernels, called directly.</summary>
    Vector512,

    /// <summary>The public <see cref="DistanceKernels"/> entry points (validation plus whichever path this machine picks).</summary>
    Public,
}

/// <summary>A fact that is reported as skipped when this machine cannot run the 512-bit path.</summary>
public sealed class Vector512FactAttribute : FactAttribute
{
    public Vector512FactAttribute()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Skip = "Vector512 is not hardware-accelerated on this machine: the 512-bit kernels are NOT tested here.";
        }
    }
}

/// <summary>A fact that is reported as skipped when this machine cannot run the 256-bit path.</summary>
public sealed class Vector256FactAttribute : FactAttribute
{
    public Vector256FactAttribute()
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            Skip = "Vector256 is not hardware-accelerated on this machine: the 256-bit kernels are NOT tested here.";
        }
    }
}

/// <summary>Dispatches every kernel to one implementation.</summary>
internal static class Kernels
{
    /// <summary>The paths this machine can run; unavailable widths are reported by the skipped facts in <see cref="PathAvailabilityTests"/>.</summary>
    public static IReadOnlyList<KernelPath> SupportedPaths { get; } = FindSupportedPaths();

    /// <summary><see cref="SupportedPaths"/> as theory data.</summary>
    public static TheoryData<KernelPath> Supported => new(SupportedPaths);

    private static List<KernelPath> FindSupportedPaths()
    {
        var paths = new List<KernelPath> { KernelPath.Scalar, KernelPath.Public };
        if (Vector256.IsHardwareAccelerated)
        {
            paths.Add(KernelPath.Vector256);
        }

        if (Vector512.IsHardwareAccelerated)
        {
            paths.Add(KernelPath.Vector512);
        }

        return paths;
    }

    public static float Dot<T>(KernelPath path, ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged => path switch
        {
            KernelPath.Scalar => ScalarKernels.Dot(x, y),
            KernelPath.Vector256 => Vector256Kernels.Dot(x, y),
            KernelPath.Vector512 => Vector512Kernels.Dot(x, y),
            _ => typeof(T) == typeof(float) ? DistanceKernels.Dot(x, Cast<T, float>(y)) : DistanceKernels.Dot(x, Cast<T, Half>(y)),
        };

    public static float SquaredL2<T>(KernelPath path, ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged => path switch
        {
            KernelPath.Scalar => ScalarKernels.SquaredL2(x, y),
            KernelPath.Vector256 => Vector256Kernels.SquaredL2(x, y),
            KernelPath.Vector512 => Vector512Kernels.SquaredL2(x, y),
            _ => typeof(T) == typeof(float) ? DistanceKernels.SquaredL2(x, Cast<T, float>(y)) : DistanceKernels.SquaredL2(x, Cast<T, Half>(y)),
        };

    public static float Cosine<T>(KernelPath path, ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged => path switch
        {
            KernelPath.Scalar => ScalarKernels.CosineSimilarity(x, y),
            KernelPath.Vector256 => Vector256Kernels.CosineSimilarity(x, y),
            KernelPath.Vector512 => Vector512Kernels.CosineSimilarity(x, y),
            _ => typeof(T) == typeof(float)
                ? DistanceKernels.CosineSimilarity(x, Cast<T, float>(y))
                : DistanceKernels.CosineSimilarity(x, Cast<T, Half>(y)),
        };

    public static void DotScan<T>(KernelPath path, ReadOnlySpan<float> q, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.DotScan(q, rows, scores); break;
            case KernelPath.Vector256: Vector256Kernels.DotScan(q, rows, scores); break;
            case KernelPath.Vector512: Vector512Kernels.DotScan(q, rows, scores); break;
            default:
                if (typeof(T) == typeof(float))
                {
                    DistanceKernels.DotScan(q, Cast<T, float>(rows), scores);
                }
                else
                {
                    DistanceKernels.DotScan(q, Cast<T, Half>(rows), scores);
                }

                break;
        }
    }

    public static void SquaredL2Scan<T>(KernelPath path, ReadOnlySpan<float> q, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.SquaredL2Scan(q, rows, scores); break;
            case KernelPath.Vector256: Vector256Kernels.SquaredL2Scan(q, rows, scores); break;
            case KernelPath.Vector512: Vector512Kernels.SquaredL2Scan(q, rows, scores); break;
            default:
                if (typeof(T) == typeof(float))
                {
                    DistanceKernels.SquaredL2Scan(q, Cast<T, float>(rows), scores);
                }
                else
                {
                    DistanceKernels.SquaredL2Scan(q, Cast<T, Half>(rows), scores);
                }

                break;
        }
    }

    public static void WeightedDotScan<T>(KernelPath path, ReadOnlySpan<float> q, ReadOnlySpan<float> w2, ReadOnlySpan<T> rows, Span<float> dots, Span<float> norms)
        where T : unmanaged
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.WeightedDotScan(q, w2, rows, dots, norms); break;
            case KernelPath.Vector256: Vector256Kernels.WeightedDotScan(q, w2, rows, dots, norms); break;
            case KernelPath.Vector512: Vector512Kernels.WeightedDotScan(q, w2, rows, dots, norms); break;
            default:
                if (typeof(T) == typeof(float))
                {
                    DistanceKernels.WeightedDotScan(q, w2, Cast<T, float>(rows), dots, norms);
                }
                else
                {
                    DistanceKernels.WeightedDotScan(q, w2, Cast<T, Half>(rows), dots, norms);
                }

                break;
        }
    }

    public static void WeightedSquaredL2Scan<T>(KernelPath path, ReadOnlySpan<float> q, ReadOnlySpan<float> w2, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.WeightedSquaredL2Scan(q, w2, rows, scores); break;
            case KernelPath.Vector256: Vector256Kernels.WeightedSquaredL2Scan(q, w2, rows, scores); break;
            case KernelPath.Vector512: Vector512Kernels.WeightedSquaredL2Scan(q, w2, rows, scores); break;
            default:
                if (typeof(T) == typeof(float))
                {
                    DistanceKernels.WeightedSquaredL2Scan(q, w2, Cast<T, float>(rows), scores);
                }
                else
                {
                    DistanceKernels.WeightedSquaredL2Scan(q, w2, Cast<T, Half>(rows), scores);
                }

                break;
        }
    }

    public static void DotMatrix(KernelPath path, ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.DotMatrix(queries, rows, dimension, scores); break;
            case KernelPath.Vector256: Vector256Kernels.Matrix<DotOperation>(queries, rows, dimension, scores); break;
            case KernelPath.Vector512: Vector512Kernels.Matrix<DotOperation>(queries, rows, dimension, scores); break;
            default: DistanceKernels.DotMatrix(queries, rows, dimension, scores); break;
        }
    }

    public static void SquaredL2Matrix(KernelPath path, ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.SquaredL2Matrix(queries, rows, dimension, scores); break;
            case KernelPath.Vector256: Vector256Kernels.Matrix<SquaredL2Operation>(queries, rows, dimension, scores); break;
            case KernelPath.Vector512: Vector512Kernels.Matrix<SquaredL2Operation>(queries, rows, dimension, scores); break;
            default: DistanceKernels.SquaredL2Matrix(queries, rows, dimension, scores); break;
        }
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> span)
        where TFrom : unmanaged
        where TTo : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(span);
}
