using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

/// <summary>
/// SIMD distance kernels over spans of <see cref="float"/> (and <see cref="Half"/> storage read with
/// <see cref="float"/> math): dot product, cosine similarity, squared L2, one-query-against-many-rows scans,
/// queries-by-rows score matrices and class-weighted scans.
/// </summary>
/// <remarks>
/// <para>
/// Every kernel picks its implementation once per process: 512-bit vectors when
/// <see cref="Vector512.IsHardwareAccelerated"/> (AVX-512), else 256-bit vectors when
/// <see cref="Vector256.IsHardwareAccelerated"/> (AVX2), else portable scalar code. The choice is stored in
/// <c>static readonly</c> fields so the JIT removes the branches. The paths differ only in floating-point rounding
/// (summation order); the tests hold every path within <c>1e-5 * sum |x_i * y_i|</c> of a double-precision
/// reference for all lengths up to 1,100.
/// </para>
/// <para>
/// The scalar path can be forced, for tests and for diagnosing numerical differences, by the
/// <see cref="AppContext"/> switch <c>ImageSearch.Distances.DisableSimd</c> (for example
/// <c>&lt;RuntimeHostConfigurationOption Include="ImageSearch.Distances.DisableSimd" Value="true" /&gt;</c> in the
/// application's project file) or the environment variable <c>IMAGESEARCH_DISABLE_SIMD=1</c>. Either is read once,
/// the first time any kernel is used; <see cref="IsHardwareAccelerated"/> reports the outcome.
/// </para>
/// <para>
/// NaN handling: the kernels do no special-casing. A NaN anywhere in the elements that take part in a result makes
/// that result NaN (NaN in, NaN out); infinities follow IEEE arithmetic (for example <c>inf - inf</c> gives NaN).
/// Lengths are validated once per call, before anything is written; a mismatch throws
/// <see cref="ArgumentException"/> naming the offending argument and leaves every output span untouched.
/// </para>
/// <para>All members are thread-safe: they keep no shared mutable state (packing buffers are per thread).</para>
/// </remarks>
public static partial class DistanceKernels
{
    /// <summary>The <see cref="AppContext"/> switch that forces the scalar path when set to <see langword="true"/>.</summary>
    public const string DisableSimdSwitchName = "ImageSearch.Distances.DisableSimd";

    /// <summary>The environment variable that forces the scalar path when set to <c>1</c> or <c>true</c>.</summary>
    public const string DisableSimdEnvironmentVariable = "IMAGESEARCH_DISABLE_SIMD";

    private static readonly bool s_simdDisabled = ReadDisableSimd();

    /// <summary>True when the 512-bit kernels are used (AVX-512 available and SIMD not disabled).</summary>
    internal static readonly bool UseVector512 = !s_simdDisabled && Vector512.IsHardwareAccelerated;

    /// <summary>True when the 256-bit kernels are used (and the 512-bit ones are not).</summary>
    internal static readonly bool UseVector256 = !s_simdDisabled && !UseVector512 && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// Gets whether the kernels run vectorised code (512-bit or 256-bit SIMD). It is <see langword="false"/> when the
    /// CPU has neither AVX2-class nor AVX-512 vectors, or when the scalar path was forced by the
    /// <c>ImageSearch.Distances.DisableSimd</c> switch or <c>IMAGESEARCH_DISABLE_SIMD=1</c>. Fixed for the process lifetime.
    /// </summary>
    public static bool IsHardwareAccelerated => UseVector512 || UseVector256;

    /// <summary>Gets the SIMD width, in bits, the kernels use: 512, 256, or 0 for the scalar path.</summary>
    public static int VectorWidthBits => UseVector512 ? 512 : UseVector256 ? 256 : 0;

    private static bool ReadDisableSimd() =>
        IsSimdDisabled(
            AppContext.TryGetSwitch(DisableSimdSwitchName, out bool disabled) && disabled,
            Environment.GetEnvironmentVariable(DisableSimdEnvironmentVariable));

    /// <summary>The switch logic, separated for tests: the AppContext switch, or the variable set to 1 or true.</summary>
    internal static bool IsSimdDisabled(bool appContextSwitch, string? environmentValue) =>
        appContextSwitch
        || (environmentValue is not null
            && (environmentValue.Trim() == "1" || environmentValue.Trim().Equals("true", StringComparison.OrdinalIgnoreCase)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckSameLength(int xLength, int yLength, string yName)
    {
        if (xLength != yLength)
        {
            ThrowLengthMismatch(xLength, yLength, yName);
        }
    }

    /// <summary>Checks that <paramref name="rowsLength"/> is exactly <paramref name="outLength"/> rows of <paramref name="dimension"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckRows(int dimension, int rowsLength, int outLength, string rowsName, string outName)
    {
        if ((long)dimension * outLength != rowsLength)
        {
            ThrowRowsMismatch(dimension, rowsLength, outLength, rowsName, outName);
        }
    }

    [DoesNotReturn]
    private static void ThrowLengthMismatch(int xLength, int yLength, string yName) =>
        throw new ArgumentException($"Length {yLength} does not match the other vector's length {xLength}.", yName);

    [DoesNotReturn]
    private static void ThrowRowsMismatch(int dimension, int rowsLength, int outLength, string rowsName, string outName) =>
        throw new ArgumentException(
            $"'{rowsName}' has {rowsLength} elements but '{outName}' has {outLength} entries of dimension {dimension}; " +
            $"expected {(long)dimension * outLength} elements.",
            rowsName);
}
