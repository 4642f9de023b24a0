using System.Runtime.CompilerServices;

namespace ImageSearch;

/// <summary>
/// Portable scalar implementations: the fallback when no SIMD is available or it is disabled, and the baseline
/// the vector paths are tested against. Arguments are validated by <see cref="DistanceKernels"/>.
/// </summary>
/// <remarks>Four independent accumulators give the CPU some instruction-level parallelism.</remarks>
internal static partial class ScalarKernels
{
    /// <summary>Reads a <see cref="float"/> or <see cref="Half"/> element as <see cref="float"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ToSingle<T>(T value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Unsafe.As<T, float>(ref value);
        }

        if (typeof(T) == typeof(Half))
        {
            return (float)Unsafe.As<T, Half>(ref value);
        }

        throw new NotSupportedException();
    }
}
