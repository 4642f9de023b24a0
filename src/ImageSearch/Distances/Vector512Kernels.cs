using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSearch;

/// <summary>
/// 512-bit implementations (AVX-512 on x64). Callers must check <see cref="Vector512.IsHardwareAccelerated"/>;
/// arguments are validated by <see cref="DistanceKernels"/>.
/// </summary>
/// <remarks>
/// Tails are handled without a scalar loop: when a length is at least one vector, the last vector is loaded so that
/// it ends at the last element (overlapping the previous one) and the lanes already counted are masked to zero
/// in both operands, so a NaN or infinity is never counted twice and never meets a zero. Lengths shorter than one
/// vector are copied into a zero-filled vector.
/// </remarks>
internal static partial class Vector512Kernels
{
    /// <summary>Floats per vector.</summary>
    internal const int Count = 16;

    /// <summary>Loads <see cref="Count"/> elements (f32, or f16 widened to f32) starting at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Load<T>(ref T source, nuint offset)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.LoadUnsafe(ref Unsafe.As<T, float>(ref source), offset);
        }

        if (typeof(T) == typeof(Half))
        {
            return HalfToSingle(Vector256.LoadUnsafe(ref Unsafe.As<T, ushort>(ref source), offset));
        }

        throw new NotSupportedException();
    }

    /// <summary>Loads fewer than <see cref="Count"/> elements into a vector whose other lanes are zero.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Vector512<float> LoadPartial<T>(ReadOnlySpan<T> source)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector512<float> v = default;
            MemoryMarshal.Cast<T, float>(source).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<Vector512<float>, float>(ref v), Count));
            return v;
        }

        if (typeof(T) == typeof(Half))
        {
            Vector256<ushort> h = default;
            MemoryMarshal.Cast<T, ushort>(source).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<Vector256<ushort>, ushort>(ref h), Count));
            return HalfToSingle(h);
        }

        throw new NotSupportedException();
    }

    /// <summary>A mask whose last <paramref name="remainder"/> lanes are all ones (1 &lt;= remainder &lt;= Count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> TailMask(int remainder) =>
        Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(Count - remainder)).AsSingle();

    /// <summary>
    /// Exact f16 to f32 conversion of 16 values. .NET 10 exposes no F16C/AVX512-FP16 conversion, so this sign-extends
    /// each value to 32 bits and shifts it left by 13, which puts the sign in bit 31 and the exponent and mantissa in
    /// bits 27..13 (the bits between are sign copies and are masked off), then rescales by 2^112 (exact, subnormals
    /// included). Values whose rescaled magnitude reaches 2^16 had an all-ones exponent (infinity, NaN): they get the
    /// f32 all-ones exponent with sign and payload kept. Seven vector operations per 16 values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfToSingle(Vector256<ushort> value)
    {
        Vector512<int> wide = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512Int32(value.AsInt16())
            : Vector512.Create(Vector256.WidenLower(value.AsInt16()), Vector256.WidenUpper(value.AsInt16()));
        Vector512<int> bits = (wide << 13) & Vector512.Create(unchecked((int)0x8FFFE000));
        Vector512<int> special = Vector512.GreaterThanOrEqual(bits & Vector512.Create(0x7FFFFFFF), Vector512.Create(0x0F800000));
        Vector512<float> scaled = bits.AsSingle() * Vector512.Create(0x77800000).AsSingle();
        return scaled | (special & Vector512.Create(0x7F800000)).AsSingle();
    }

    /// <summary>Horizontal sums of four vectors, returned as one 4-lane vector [sum a, sum b, sum c, sum d].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        if (Avx512F.IsSupported)
        {
            // Transposing sums: each step halves the partial sums per row while packing two rows per vector,
            // about 9 shuffles for 4 rows instead of 4 separate reductions.
            Vector512<float> ab = Avx512F.PermuteVar16x32x2(a, Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), b)
                + Avx512F.PermuteVar16x32x2(a, Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31), b);
            Vector512<float> cd = Avx512F.PermuteVar16x32x2(c, Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), d)
                + Avx512F.PermuteVar16x32x2(c, Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31), d);
            Vector512<float> abcd = Avx512F.PermuteVar16x32x2(ab, Vector512.Create(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27), cd)
                + Avx512F.PermuteVar16x32x2(ab, Vector512.Create(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31), cd);
            abcd += Avx512F.Permute4x32(abcd, 0b10_11_00_01);
            abcd += Avx512F.Permute4x32(abcd, 0b01_00_11_10);
            return Avx512F.PermuteVar16x32(abcd, Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower();
        }

        return Vector128.Create(Vector512.Sum(a), Vector512.Sum(b), Vector512.Sum(c), Vector512.Sum(d));
    }
}
