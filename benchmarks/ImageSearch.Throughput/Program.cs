using ImageSearch;
using ImageSearch.Evaluation;
// Image embedding throughput: end-to-end (decode + preprocess + inference, pipelined) against ONNX Runtime alone on
// tensors decoded beforehand, for ResNet-18 and the int8 MobileNetV2, on the Pascal Sentences photos.
// Usage: dotnet run -c Release --project benchmarks/ImageSearch.Throughput -- [--models resnet18,mobilenetv2]
//        [--count 300] [--batch 8] [--intra 0] [--decode 0] [--concurrency 1] [--repeat 3] [--spin]
// Both paths use the same embedder, so the same ONNX Runtime session settings; ORT's pass runs the pre-decoded
// batches with the same number of concurrent runs as the pipeline. CPU ms/img (process CPU time / images) is given
// as well as images/s because on a shared machine it is the steadier of the two.
using System.Diagnostics;

var opts = Args.Parse(args);
var data = PascalDataset.Load((RepositoryData.Find() ?? throw new InvalidOperationException("Run from the repository checkout.")).PascalDatasetFolder
    ?? throw new DirectoryNotFoundException("The shared Pascal Sentences photos were not found (../shared or IMAGESEARCH_SHARED)."));
int count = Math.Min(opts.Count, data.Count);
// Spread the sample over every class: take every (Count/count)-th photo.
var images = Enumerable.Range(0, count).Select(i => ImageInput.FromFile(data.Paths[(int)((long)i * data.Count / count)])).ToArray();
Console.WriteLine($"ImageSearch image-embedding throughput, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
                  $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
Console.WriteLine($"Images: {count} Pascal photos; batch {opts.Batch}; intra-op threads {(opts.Intra == 0 ? "default" : opts.Intra)}; " +
                  $"decode threads {(opts.Decode == 0 ? "default" : opts.Decode)}; concurrent runs {opts.Concurrency}; spinning {opts.Spin}; repeats {opts.Repeat} (median shown)");
Console.WriteLine();
Console.WriteLine("| model | ORT on tensors (img/s) | end-to-end (img/s) | ratio | decode+preprocess only (img/s) | CPU ms/img: ORT / end-to-end / preprocess |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
var process = System.Diagnostics.Process.GetCurrentProcess();
double CpuMs()
{
    process.Refresh();
    return process.TotalProcessorTime.TotalMilliseconds;
}

foreach (string model in opts.Models)
{
    var descriptor = model switch
    {
        "resnet18" => ImageModels.ResNet18(),
        "mobilenetv2" => ImageModels.MobileNetV2(),
        _ => throw new ArgumentException($"Unknown model '{model}' (resnet18, mobilenetv2).", nameof(args)),
    };
    using var embedder = new OnnxImageEmbedder(descriptor, new OnnxImageEmbedderOptions
    {
        BatchSize = opts.Batch,
        IntraOpThreads = opts.Intra,
        DecodeThreads = opts.Decode,
        AllowSpinning = opts.Spin,
        InferenceConcurrency = opts.Concurrency,
    });

    int len = embedder.InputTensorLength, b = embedder.BatchSize;
    var tensors = new float[count * len];
    var decodeTimes = new List<double>();
    var decodeCpu = new List<double>();
    for (int r = 0; r < opts.Repeat; r++)
    {
        double c0 = CpuMs();
        var sw = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = opts.Decode > 0 ? opts.Decode : Environment.ProcessorCount },
            i => embedder.Preprocess(images[i], tensors.AsSpan(i * len, len)));
        decodeTimes.Add(count / sw.Elapsed.TotalSeconds);
        decodeCpu.Add((CpuMs() - c0) / count);
    }

    int batches = (count + b - 1) / b;
    var outputs = new ThreadLocal<float[]>(() => new float[b * embedder.Dimension]);
    void OrtPass()
    {
        Parallel.For(0, batches, new ParallelOptions { MaxDegreeOfParallelism = opts.Concurrency }, k =>
        {
            int start = k * b, n = Math.Min(b, count - start);
            embedder.EmbedTensors(tensors.AsMemory(start * len, n * len), n, outputs.Value!);
        });
    }

    async Task EndToEndPass()
    {
        var results = await embedder.EmbedBatchAsync(images);
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
    var ortCpu = new List<double>();
    var e2eCpu = new List<double>();
    for (int r = 0; r < opts.Repeat; r++)
    {
        // Interleave the two so background load on a shared machine hits both alike.
        double c0 = CpuMs();
        var sw = Stopwatch.StartNew();
        OrtPass();
        ort.Add(count / sw.Elapsed.TotalSeconds);
        double c1 = CpuMs();
        sw.Restart();
        await EndToEndPass();
        e2e.Add(count / sw.Elapsed.TotalSeconds);
        ortCpu.Add((c1 - c0) / count);
        e2eCpu.Add((CpuMs() - c1) / count);
    }

    double o = Median(ort), e = Median(e2e);
    Console.WriteLine($"| {descriptor.Name} (batch {b}) | {o:F1} | {e:F1} | {e / o:P0} | {Median(decodeTimes):F1} | {Median(ortCpu):F1} / {Median(e2eCpu):F1} / {Median(decodeCpu):F1} |");
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
}

internal sealed record Args(string[] Models, int Count, int Batch, int Intra, int Decode, int Repeat, bool Spin, int Concurrency)
{
    public static Args Parse(string[] args)
    {
        var a = new Args(["resnet18", "mobilenetv2"], 300, 8, 0, 0, 3, false, 1);
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
                "--concurrency" => a with { Concurrency = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--spin" => a with { Spin = true },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return a;
    }
}
