// Image embedding throughput: end-to-end (decode + preprocess + inference, pipelined) against ONNX Runtime alone on
// tensors decoded beforehand, for ResNet-18 and the int8 MobileNetV2, on the Pascal Sentences photos.
// Usage: dotnet run -c Release --project benchmarks/ImageSearch.Throughput -- [--models resnet18,mobilenetv2]
//        [--count 300] [--batch 8] [--intra 0] [--decode 0] [--repeat 3] [--spin]
using System.Diagnostics;
using ImageSearch.Embeddings.Images;

var opts = Args.Parse(args);
var data = PascalDataset.Load();
int count = Math.Min(opts.Count, data.Count);
// Spread the sample over every class: take every (Count/count)-th photo.
var paths = Enumerable.Range(0, count).Select(i => data.Paths[(int)((long)i * data.Count / count)]).ToArray();
Console.WriteLine($"ImageSearch image-embedding throughput, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
                  $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
Console.WriteLine($"Images: {count} Pascal photos; batch {opts.Batch}; intra-op threads {(opts.Intra == 0 ? "default" : opts.Intra)}; " +
                  $"decode threads {(opts.Decode == 0 ? "default" : opts.Decode)}; spinning {opts.Spin}; repeats {opts.Repeat} (median shown)");
Console.WriteLine();
Console.WriteLine("| model | ORT on tensors (img/s) | end-to-end (img/s) | ratio | decode+preprocess only (img/s) |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");

foreach (string model in opts.Models)
{
    var descriptor = model switch
    {
        "resnet18" => ImageModels.ResNet18(),
        "mobilenetv2" => ImageModels.MobileNetV2Shared(),
        _ => throw new ArgumentException($"Unknown model '{model}' (resnet18, mobilenetv2).", nameof(args)),
    };
    using var embedder = new OnnxImageEmbedder(descriptor, new OnnxImageEmbedderOptions
    {
        BatchSize = opts.Batch,
        IntraOpThreads = opts.Intra,
        DecodeThreads = opts.Decode,
        AllowSpinning = opts.Spin,
    });

    int len = embedder.InputTensorLength, b = embedder.BatchSize;
    var tensors = new float[count * len];
    var decodeTimes = new List<double>();
    for (int r = 0; r < opts.Repeat; r++)
    {
        var sw = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = opts.Decode > 0 ? opts.Decode : Environment.ProcessorCount },
            i => embedder.Preprocess(paths[i], tensors.AsSpan(i * len, len)));
        decodeTimes.Add(count / sw.Elapsed.TotalSeconds);
    }

    var output = new float[b * embedder.Dimension];
    void OrtPass()
    {
        for (int start = 0; start < count; start += b)
        {
            int n = Math.Min(b, count - start);
            embedder.EmbedTensors(tensors.AsMemory(start * len, n * len), n, output);
        }
    }

    async Task EndToEndPass()
    {
        var results = await embedder.EmbedBatchAsync(paths);
        if (results.Any(x => !x.Succeeded))
        {
            throw new InvalidOperationException(results.First(x => !x.Succeeded).Error!.Message);
        }
    }

    // Warm up both paths once (first runs allocate ORT's arenas and JIT the pipeline).
    OrtPass();
    await EndToEndPass();
    var ort = new List<double>();
    var e2e = new List<double>();
    for (int r = 0; r < opts.Repeat; r++)
    {
        // Interleave the two so background load on a shared machine hits both alike.
        var sw = Stopwatch.StartNew();
        OrtPass();
        ort.Add(count / sw.Elapsed.TotalSeconds);
        sw.Restart();
        await EndToEndPass();
        e2e.Add(count / sw.Elapsed.TotalSeconds);
    }

    double o = Median(ort), e = Median(e2e);
    Console.WriteLine($"| {descriptor.Name} (batch {b}) | {o:F1} | {e:F1} | {e / o:P0} | {Median(decodeTimes):F1} |");
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
}

internal sealed record Args(string[] Models, int Count, int Batch, int Intra, int Decode, int Repeat, bool Spin)
{
    public static Args Parse(string[] args)
    {
        var a = new Args(["resnet18", "mobilenetv2"], 300, 8, 0, 0, 3, false);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            a = args[i] switch
            {
                "--models" => a with { Models = Next().Split(',', StringSplitOptions.RemoveEmptyEntries) },
                "--count" => a with { Count = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--batch" => a with { Batch = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--intra" => a with { Intra = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--decode" => a with { Decode = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--repeat" => a with { Repeat = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--spin" => a with { Spin = true },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return a;
    }
}
