using System.Runtime.Intrinsics;

namespace ImageSearch.Tests.Distances;

/// <summary>
/// Reports (as skipped tests) the SIMD widths this machine cannot exercise, checks the f16 conversion of every
/// bit pattern on each width, and the scalar-path switch.
/// </summary>
public class PathAvailabilityTests
{
    [Vector512Fact]
    public void Vector512PathIsExercised()
    {
        Assert.Contains(KernelPath.Vector512, Kernels.SupportedPaths);
    }

    [Vector256Fact]
    public void Vector256PathIsExercised()
    {
        Assert.Contains(KernelPath.Vector256, Kernels.SupportedPaths);
    }

    [Vector512Fact]
    public void Vector512HalfConversionIsExactForEveryBitPattern()
    {
        for (int start = 0; start < 65536; start += Vector512Kernels.Count)
        {
            var bits = Vector256.Create((ushort)start, (ushort)(start + 1), (ushort)(start + 2), (ushort)(start + 3), (ushort)(start + 4), (ushort)(start + 5), (ushort)(start + 6), (ushort)(start + 7), (ushort)(start + 8), (ushort)(start + 9), (ushort)(start + 10), (ushort)(start + 11), (ushort)(start + 12), (ushort)(start + 13), (ushort)(start + 14), (ushort)(start + 15));
            Vector512<float> converted = Vector512Kernels.HalfToSingle(bits);
            for (int lane = 0; lane < Vector512Kernels.Count; lane++)
            {
                AssertSameFloat((ushort)(start + lane), converted[lane]);
            }
        }
    }

    [Vector256Fact]
    public void Vector256HalfConversionIsExactForEveryBitPattern()
    {
        for (int start = 0; start < 65536; start += Vector256Kernels.Count)
        {
            var bits = Vector128.Create((ushort)start, (ushort)(start + 1), (ushort)(start + 2), (ushort)(start + 3), (ushort)(start + 4), (ushort)(start + 5), (ushort)(start + 6), (ushort)(start + 7));
            Vector256<float> converted = Vector256Kernels.HalfToSingle(bits);
            for (int lane = 0; lane < Vector256Kernels.Count; lane++)
            {
                AssertSameFloat((ushort)(start + lane), converted[lane]);
            }
        }
    }

    [Theory]
    [InlineData(false, null, false)]
    [InlineData(false, "0", false)]
    [InlineData(false, "", false)]
    [InlineData(false, "1", true)]
    [InlineData(false, " true ", true)]
    [InlineData(false, "TRUE", true)]
    [InlineData(true, null, true)]
    public void SimdSwitchIsReadFromAppContextOrEnvironment(bool appContextSwitch, string? environmentValue, bool disabled)
    {
        Assert.Equal(disabled, DistanceKernels.IsSimdDisabled(appContextSwitch, environmentValue));
    }

    [Fact]
    public void IsHardwareAcceleratedReflectsTheChosenWidth()
    {
        Assert.Equal(DistanceKernels.VectorWidthBits != 0, DistanceKernels.IsHardwareAccelerated);
        bool disabled = DistanceKernels.IsSimdDisabled(false, Environment.GetEnvironmentVariable(DistanceKernels.DisableSimdEnvironmentVariable));
        int expected = disabled ? 0 : Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0;
        Assert.Equal(expected, DistanceKernels.VectorWidthBits);
    }

    private static void AssertSameFloat(ushort bits, float actual)
    {
        float expected = (float)BitConverter.UInt16BitsToHalf(bits);
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"0x{bits:X4}: expected NaN, got {actual}");
        }
        else
        {
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual), $"0x{bits:X4}: expected {expected:R}, got {actual:R}");
        }
    }
}
