using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSearch;

/// <summary>
/// 256-bit implementations (AVX2 on x64). Callers must check <see cref="Vector256.IsHardwareAccelerated"/>;
/// arguments are validated by <see cref="DistanceKernels"/>.
/// </summary>
/// <remarks>Tails are handled as in <see cref="Vector512Kernels"/>: an overlapping, masked last vector.</remarks>
internal static partial class Vector256Kernels
{
    /// <summary>Floats per vector.</summary>
    internal const int Count = 8;

    /// <summary>Loads <see cref="Count"/> elements (f32, or f16 widened to f32) starting at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Load<T>(ref T source, nuint offset)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref source), offset);
        }

        if (typeof(T) == typeof(Half))
        {
            return HalfToSingle(Vector128.LoadUnsafe(ref Unsafe.As<T, ushort>(ref source), offset));
        }

        throw new NotSupportedException();
    }

    /// <summary>Loads fewer than <see cref="Count"/> elements into a vector whose other lanes are zero.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Vector256<float> LoadPartial<T>(ReadOnlySpan<T> source)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector256<float> v = default;
            MemoryMarshal.Cast<T, float>(source).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<Vector256<float>, float>(ref v), Count));
            return v;
        }

        if (typeof(T) == typeof(Half))
        {
            Vector128<ushort> h = default;
            MemoryMarshal.Cast<T, ushort>(source).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<Vector128<ushort>, ushort>(ref h), Count));
            return HalfToSingle(h);
        }

        throw new NotSupportedException();
    }

    /// <summary>A mask whose last <paramref name="remainder"/> lanes are all ones (1 &lt;= remainder &lt;= Count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> TailMask(int remainder) =>
        Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(Count - remainder)).AsSingle();

    /// <summary>Exact f16 to f32 conversion of 8 values (see <see cref="Vector512Kernels.HalfToSingle"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<ushort> value)
    {
        Vector256<int> wide = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32(value.AsInt16())
            : Vector256.Create(Vector128.WidenLower(value.AsInt16()), Vector128.WidenUpper(value.AsInt16()));
        Vector256<int> bits = (wide << 13) & Vector256.Create(unchecked((int)0x8FFFE000));
        Vector256<int> special = Vector256.GreaterThan(bits & Vector256.Create(0x7FFFFFFF), Vector256.Create(0x0F7FFFFF));
        Vector256<float> scaled = bits.AsSingle() * Vector256.Create(0x77800000).AsSingle();
        return scaled | (special & Vector256.Create(0x7F800000)).AsSingle();
    }

    /// <summary>Horizontal sums of four vectors, returned as one 4-lane vector [sum a, sum b, sum c, sum d].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        Vector128<float> a4 = a.GetLower() + a.GetUpper();
        Vector128<float> b4 = b.GetLower() + b.GetUpper();
        Vector128<float> c4 = c.GetLower() + c.GetUpper();
        Vector128<float> d4 = d.GetLower() + d.GetUpper();
        if (Sse3.IsSupported)
        {
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a4, b4), Sse3.HorizontalAdd(c4, d4));
        }

        return Vector128.Create(Vector128.Sum(a4), Vector128.Sum(b4), Vector128.Sum(c4), Vector128.Sum(d4));
    }
}
