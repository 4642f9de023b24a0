using System.Buffers;
using System.Numerics.Tensors;
using SkiaSharp;

namespace ImageSearch;

/// <summary>
/// Resizes a decoded RGBA (premultiplied) image straight into a model's normalised NCHW float planes, applying EXIF
/// orientation, the centre crop and compositing over white in the same two separable passes. The filter is a
/// triangle (bilinear) whose support widens with the shrink factor, i.e. antialiased bilinear as in PIL and
/// torchvision's <c>Resize(antialias=True)</c>. Stateless and thread-safe; scratch buffers are per call.
/// </summary>
internal static class Resampler
{
    /// <summary>Filter taps of one output axis: for output o, <c>Count[o]</c> weights from source index <c>Start[o]</c>.</summary>
    internal sealed class AxisWeights
    {
        public required int[] Start { get; init; }

        public required int[] Count { get; init; }

        public required float[] Weights { get; init; } // Count[o] weights at Offset[o]

        public required int[] Offset { get; init; }

        public int Min { get; init; }

        public int Max { get; init; }
    }

    /// <summary>
    /// Builds the taps mapping <paramref name="outCount"/> output pixels onto a source axis of <paramref name="srcCount"/>
    /// pixels: output pixel o samples source coordinate <c>(o + 0.5 + offset) / scale - 0.5</c>, mirrored when
    /// <paramref name="flip"/> is set.
    /// </summary>
    internal static AxisWeights Build(int outCount, int srcCount, double scale, double offset, bool flip)
    {
        double support = scale < 1 ? 1 / scale : 1; // triangle half-width in source pixels
        var start = new int[outCount];
        var count = new int[outCount];
        var offs = new int[outCount];
        var weights = new List<float>(outCount * ((int)Math.Ceiling(support) * 2 + 1));
        int min = int.MaxValue, max = int.MinValue;
        for (int o = 0; o < outCount; o++)
        {
            double center = ((o + 0.5 + offset) / scale) - 0.5;
            if (flip)
            {
                center = srcCount - 1 - center;
            }

            int lo = Math.Max(0, (int)Math.Floor(center - support) + 1);
            int hi = Math.Min(srcCount - 1, (int)Math.Ceiling(center + support) - 1);
            if (hi < lo)
            {
                // Far outside (cannot happen for a crop inside the image): use the nearest edge pixel.
                lo = hi = Math.Clamp((int)Math.Round(center), 0, srcCount - 1);
            }

            double sum = 0;
            int first = weights.Count;
            for (int j = lo; j <= hi; j++)
            {
                double w = Math.Max(0, 1 - (Math.Abs(j - center) / support));
                weights.Add((float)w);
                sum += w;
            }

            if (sum <= 0)
            {
                weights.RemoveRange(first, weights.Count - first);
                lo = hi = Math.Clamp((int)Math.Round(center), 0, srcCount - 1);
                weights.Add(1f);
                sum = 1;
            }

            for (int j = first; j < weights.Count; j++)
            {
                weights[j] = (float)(weights[j] / sum);
            }

            start[o] = lo;
            count[o] = hi - lo + 1;
            offs[o] = first;
            min = Math.Min(min, lo);
            max = Math.Max(max, hi);
        }

        return new AxisWeights { Start = start, Count = count, Weights = [.. weights], Offset = offs, Min = min, Max = max };
    }

    /// <summary>
    /// Writes <c>planes[c][Y * outW + X] = value * mul[c] + add[c] - meanImage[c][Y, X]</c> where value is the 0-255
    /// (over-white) sample of source channel <c>channelOffset[c]</c> at the displayed position of output pixel (X, Y).
    /// </summary>
    /// <param name="rgba">Premultiplied RGBA8888 pixels, <paramref name="rowBytes"/> per row.</param>
    /// <param name="width">Stored width.</param>
    /// <param name="height">Stored height.</param>
    /// <param name="rowBytes">Bytes per stored row.</param>
    /// <param name="origin">EXIF orientation of the stored pixels.</param>
    /// <param name="outW">Output width.</param>
    /// <param name="outH">Output height.</param>
    /// <param name="scaleX">Displayed-to-resized scale along X.</param>
    /// <param name="scaleY">Displayed-to-resized scale along Y.</param>
    /// <param name="offsetX">Crop offset along X in resized pixels.</param>
    /// <param name="offsetY">Crop offset along Y in resized pixels.</param>
    /// <param name="channelOffset">Source byte (0 = R, 1 = G, 2 = B) of each model channel.</param>
    /// <param name="mul">Per model channel multiplier.</param>
    /// <param name="add">Per model channel addend.</param>
    /// <param name="meanImage">Optional [3, outH, outW] values subtracted last.</param>
    /// <param name="destination">3 x outH x outW floats.</param>
    /// <param name="mirror">Reverse each output row (a left-right mirror of the displayed, cropped image) before the mean image.</param>
    public static void ResampleToPlanes(
        ReadOnlySpan<byte> rgba, int width, int height, int rowBytes, SKEncodedOrigin origin,
        int outW, int outH, double scaleX, double scaleY, double offsetX, double offsetY,
        ReadOnlySpan<int> channelOffset, ReadOnlySpan<float> mul, ReadOnlySpan<float> add, ReadOnlySpan<float> meanImage,
        Span<float> destination, bool mirror = false)
    {
        bool transpose = ImageOrientation.SwapsAxes(origin);

        // Which output axis walks stored x (columns) and stored y (rows), and whether it walks them backwards.
        bool flipX = origin is SKEncodedOrigin.TopRight or SKEncodedOrigin.BottomRight or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        bool flipY = origin is SKEncodedOrigin.BottomRight or SKEncodedOrigin.BottomLeft or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom;
        AxisWeights alongX, alongY; // taps over stored columns and stored rows
        int nX, nY;                 // output pixels produced along stored x and stored y
        if (!transpose)
        {
            nX = outW;
            nY = outH;
            alongX = Build(outW, width, scaleX, offsetX, flipX);
            alongY = Build(outH, height, scaleY, offsetY, flipY);
        }
        else
        {
            // Output X runs along stored rows (y), output Y along stored columns (x).
            nX = outH;
            nY = outW;
            alongX = Build(outH, width, scaleY, offsetY, flipX);
            alongY = Build(outW, height, scaleX, offsetX, flipY);
        }

        // Pass 1: every stored row that pass 2 needs, resampled along x to nX samples of 3 channels (over white).
        int rows = alongY.Max - alongY.Min + 1;
        int rowLen = nX * 3;
        float[] temp = ArrayPool<float>.Shared.Rent(rows * rowLen);
        float[] line = ArrayPool<float>.Shared.Rent(width * 3);
        float[] acc = ArrayPool<float>.Shared.Rent(rowLen);
        try
        {
            int[] xStart = alongX.Start, xCount = alongX.Count, xOffset = alongX.Offset;
            float[] xWeights = alongX.Weights;
            for (int r = 0; r < rows; r++)
            {
                var src = rgba.Slice((alongY.Min + r) * rowBytes, width * 4);
                var lineSpan = line.AsSpan(0, width * 3);
                for (int x = 0, s = 0, l = 0; x < width; x++, s += 4, l += 3)
                {
                    int whiteUnder = 255 - src[s + 3];
                    lineSpan[l] = src[s] + whiteUnder;
                    lineSpan[l + 1] = src[s + 1] + whiteUnder;
                    lineSpan[l + 2] = src[s + 2] + whiteUnder;
                }

                var dst = temp.AsSpan(r * rowLen, rowLen);
                for (int k = 0; k < nX; k++)
                {
                    int cnt = xCount[k];
                    var taps = xWeights.AsSpan(xOffset[k], cnt);
                    var px = lineSpan.Slice(xStart[k] * 3, cnt * 3);
                    float r0 = 0, g0 = 0, b0 = 0;
                    for (int t = 0, p = 0; t < taps.Length; t++, p += 3)
                    {
                        float w = taps[t];
                        r0 += w * px[p];
                        g0 += w * px[p + 1];
                        b0 += w * px[p + 2];
                    }

                    dst[k * 3] = r0;
                    dst[(k * 3) + 1] = g0;
                    dst[(k * 3) + 2] = b0;
                }
            }

            // Pass 2: along y, a weighted sum of whole rows (vectorised), then de-interleave into the model's planes.
            var accSpan = acc.AsSpan(0, rowLen);
            int plane = outW * outH;
            for (int j = 0; j < nY; j++)
            {
                int st = alongY.Start[j] - alongY.Min, cnt = alongY.Count[j], wo = alongY.Offset[j];
                TensorPrimitives.Multiply(temp.AsSpan(st * rowLen, rowLen), alongY.Weights[wo], accSpan);
                for (int t = 1; t < cnt; t++)
                {
                    TensorPrimitives.MultiplyAdd(temp.AsSpan((st + t) * rowLen, rowLen), alongY.Weights[wo + t], accSpan, accSpan);
                }

                for (int c = 0; c < 3; c++)
                {
                    int so = channelOffset[c];
                    float m = mul[c], a = add[c];
                    var outPlane = destination.Slice(c * plane, plane);
                    if (!transpose)
                    {
                        var row = outPlane.Slice(j * outW, nX);
                        for (int k = 0, q = so; k < row.Length; k++, q += 3)
                        {
                            row[k] = (accSpan[q] * m) + a;
                        }
                    }
                    else
                    {
                        // Sample (k along stored x, j along stored y) is output pixel (X = j, Y = k).
                        for (int k = 0; k < nX; k++)
                        {
                            outPlane[(k * outW) + j] = (accSpan[(k * 3) + so] * m) + a;
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(temp);
            ArrayPool<float>.Shared.Return(line);
            ArrayPool<float>.Shared.Return(acc);
        }

        int planes = 3 * outW * outH;
        if (mirror)
        {
            // The crop is centred, so mirroring the crop equals cropping the mirrored photo.
            for (int r = 0; r < 3 * outH; r++)
            {
                destination.Slice(r * outW, outW).Reverse();
            }
        }

        if (!meanImage.IsEmpty)
        {
            TensorPrimitives.Subtract(destination[..planes], meanImage, destination[..planes]);
        }
    }
}
